// What the server does around the model, done in the browser when the model runs here: the frame placed as
// geometry.to_input() places it, the probability smoothed as temporal.TemporalSmoother smooths it ("motion") and
// made a matte as effects.alpha_from_prob() makes it. Pure functions of arrays, so tests/test_live_page.py runs
// each in Chromium against its Python counterpart.

export const PAD = 128;  // the grey geometry.letterbox() pads with

// (width, height) of a frame scaled so its long side is at most `longSide`.
export function scaledSize(width, height, longSide) {
  const scale = longSide / Math.max(width, height, longSide);
  return [Math.round(width * scale), Math.round(height * scale)];
}

// RGBA pixels (w x h) as the model's input: RGB 0..255 in a float32 NCHW tensor padded bottom/right with PAD to a
// multiple of `stride` (normalisation is inside the exported graph). Returns {data, width, height} (padded size).
export function inputTensor(rgba, w, h, stride) {
  const ph = Math.ceil(h / stride) * stride, pw = Math.ceil(w / stride) * stride, plane = ph * pw;
  const data = new Float32Array(3 * plane).fill(PAD);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = 4 * (y * w + x), o = y * pw + x;
      data[o] = rgba[i];
      data[plane + o] = rgba[i + 1];
      data[2 * plane + o] = rgba[i + 2];
    }
  }
  return {data, width: pw, height: ph};
}

// The model's padded output (pw wide) cropped back to w x h.
export function cropped(padded, pw, w, h) {
  const prob = new Float32Array(w * h);
  for (let y = 0; y < h; y++) prob.set(padded.subarray(y * pw, y * pw + w), y * w);
  return prob;
}

// temporal.TemporalSmoother's "motion" method: w = weight * clip(1 - blur3x3(|prob - previous|) / 0.7, 0, 1),
// with OpenCV's default (reflect-101) border. `previous`: {data, width, height} or null; returns the new one.
export function smoothMotion(prob, previous, w, h, weight) {
  const same = previous && previous.width === w && previous.height === h;
  if (!(weight > 0 && same)) return {data: prob, width: w, height: h};
  const before = previous.data;
  const reflect = (i, n) => (n === 1 ? 0 : i < 0 ? -i : i >= n ? 2 * n - 2 - i : i);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let change = 0;
      for (let dy = -1; dy <= 1; dy++) {
        const row = reflect(y + dy, h) * w;
        for (let dx = -1; dx <= 1; dx++) {
          const j = row + reflect(x + dx, w);
          change += Math.abs(prob[j] - before[j]);
        }
      }
      const i = y * w + x, blend = weight * Math.min(1, Math.max(0, 1 - change / 9 / 0.7));
      out[i] = blend * before[i] + (1 - blend) * prob[i];
    }
  }
  return {data: out, width: w, height: h};
}

// effects.alpha_from_prob() as one byte a pixel, rounded as the live route rounds (live.matte_uint8): a hard step
// at `threshold` when softness is 0, else a smoothstep `softness` wide centred on it.
export function alphaFromProb(prob, threshold, softness) {
  const alpha = new Uint8Array(prob.length);
  for (let i = 0; i < alpha.length; i++) {
    let a;
    if (softness <= 0) a = prob[i] >= threshold ? 1 : 0;
    else {
      const t = Math.min(1, Math.max(0, (prob[i] - threshold) / softness + 0.5));
      a = t * t * (3 - 2 * t);
    }
    alpha[i] = Math.floor(a * 255 + 0.5);
  }
  return alpha;
}
