// The effect drawn on a canvas from a frame and its matte, as effects.py draws it for photos (tests/
// test_live_page.py compares them pixel by pixel per effect; docs/live-parity.md says where they differ on purpose
// and why). No state but its scratch canvases: what to draw is the `look` each call gets.
//   look: {kind, blur, color, backgroundImage}; frame: a canvas; matte: a canvas whose alpha is the person's.

const layer = () => {
  const canvas = document.createElement('canvas');
  return [canvas, canvas.getContext('2d')];
};
// Safari before 18 has no canvas filters: the blur then comes from the reduction alone.
const CANVAS_FILTERS = typeof document.createElement('canvas').getContext('2d').filter === 'string';

export function resize(canvas, width, height) {
  if (canvas.width !== width || canvas.height !== height) { canvas.width = width; canvas.height = height; }
}

export class Compositor {
  constructor(canvas) {
    this.canvas = canvas;
    this.out = canvas.getContext('2d');
    [this.person, this.personCtx] = layer();
    [this.holes, this.holesCtx] = layer();
    [this.spread, this.spreadCtx] = layer();
  }

  draw(frame, matte, look) {
    const w = frame.width, h = frame.height, out = this.out;
    resize(this.canvas, w, h);
    out.globalCompositeOperation = 'source-over';
    out.clearRect(0, 0, w, h);
    if (look.kind === 'mask') {  // the matte itself, white on black
      out.fillStyle = '#000';
      out.fillRect(0, 0, w, h);
      out.drawImage(matte, 0, 0, w, h);
      return;
    }
    (BACKDROPS[look.kind] || BACKDROPS.blur)(this, frame, matte, look, w, h);
    resize(this.person, w, h);
    this.personCtx.globalCompositeOperation = 'copy';
    this.personCtx.drawImage(frame, 0, 0);
    this.personCtx.globalCompositeOperation = 'destination-in';
    this.personCtx.drawImage(matte, 0, 0, w, h);
    out.drawImage(this.person, 0, 0);
  }
}

// What each effect draws behind the person (effects.Effect's backdrops).
const BACKDROPS = {
  color(c, frame, matte, look, w, h) {
    c.out.fillStyle = look.color;
    c.out.fillRect(0, 0, w, h);
  },
  replace(c, frame, matte, look, w, h) {
    if (look.backgroundImage) drawCover(c.out, look.backgroundImage, w, h);
    else BACKDROPS.blur(c, frame, matte, look, w, h);  // until the picture is chosen
  },
  cutout(c, frame, matte, look, w, h) {
    drawCheckerboard(c.out, w, h);
  },
  blur(c, frame, matte, look, w, h) {
    c.out.drawImage(frame, 0, 0);  // shows only where no background is near: inside the person
    drawBlurredBackground(c, frame, matte, look.blur, w, h);
  },
};

// Transparency shown as effects.checkerboard() shows it: 16-pixel cells, grey 204 and 153.
function drawCheckerboard(out, w, h) {
  out.fillStyle = 'rgb(153, 153, 153)';
  out.fillRect(0, 0, w, h);
  out.fillStyle = 'rgb(204, 204, 204)';
  for (let y = 0; y < h; y += 16) {
    for (let x = (y / 16) % 2 ? 16 : 0; x < w; x += 32) out.fillRect(x, y, 16, 16);
  }
}

// Scaled to cover the frame and cropped centred at whole pixels, as effects.cover() does.
function drawCover(out, image, w, h) {
  const scale = Math.max(w / image.naturalWidth, h / image.naturalHeight);
  const sw = Math.max(w, Math.round(image.naturalWidth * scale));
  const sh = Math.max(h, Math.round(image.naturalHeight * scale));
  out.imageSmoothingQuality = 'high';  // an area-like reduction, as effects.cover() makes
  out.drawImage(image, -Math.floor((sw - w) / 2), -Math.floor((sh - h) / 2), sw, sh);
}

// The background blurred without the person (no halo), as effects.blurred_small() does: at a reduced size, the
// person cut out, blurred, then normalised by the blurred coverage. Canvas pixels are premultiplied, so a blurred
// layer with holes already holds blur(colour * weight) and blur(weight); drawing the layer over itself raises its
// alpha towards 1 while keeping the colour (colour * weight / weight), which is that normalisation.
function drawBlurredBackground(c, frame, matte, strength, w, h) {
  const sigma = Math.max(0.5, strength * Math.max(w, h) / 640);
  const factor = CANVAS_FILTERS ? Math.max(1, Math.floor(sigma / 4)) : Math.max(1, Math.round(1.5 * sigma));
  const sw = Math.max(1, Math.round(w / factor)), sh = Math.max(1, Math.round(h / factor));
  resize(c.holes, sw, sh);
  resize(c.spread, sw, sh);
  c.holesCtx.globalCompositeOperation = 'copy';
  c.holesCtx.drawImage(frame, 0, 0, sw, sh);
  c.holesCtx.globalCompositeOperation = 'destination-out';
  c.holesCtx.drawImage(matte, 0, 0, sw, sh);
  c.spreadCtx.globalCompositeOperation = 'copy';
  if (CANVAS_FILTERS) c.spreadCtx.filter = 'blur(' + (sigma / factor).toFixed(2) + 'px)';
  c.spreadCtx.drawImage(c.holes, 0, 0);
  if (CANVAS_FILTERS) c.spreadCtx.filter = 'none';
  c.spreadCtx.globalCompositeOperation = 'source-over';
  for (let i = 0; i < 5; i++) c.spreadCtx.drawImage(c.spread, 0, 0);
  c.out.drawImage(c.spread, 0, 0, w, h);
}
