// The live webcam (run by Gradio as the live component's js_on_load, with `element` its root).
// Each camera frame is scaled to the model's live size, and the person's alpha matte (one byte a pixel) comes
// from one of two places: the model run here, in the browser, by ONNX Runtime Web (the default: browser.py serves
// the runtime and the model; no frame leaves this computer), or the server, which gets the frame as a small JPEG
// (live.py). Where the browser cannot run the model, or the viewer asks for it, the server does. The effect is
// composed here either way, on a canvas, with the frame the matte belongs to. Painting happens in
// requestAnimationFrame, so every composed frame is a painted one.
// What is drawn follows effects.py (tests/test_live_parity.py compares them pixel by pixel); where it differs,
// on purpose, docs/live-parity.md says how and why.
const root = element.querySelector('.live');
let longSide = Number(root.dataset.longSide);  // the model's live size; each answer says it again (X-Live-Long-Side)
const ENDPOINT = new URL(root.dataset.endpoint, document.baseURI);
const MODELS = new URL(root.dataset.models, document.baseURI);
const RUNTIME = new URL(root.dataset.runtime, document.baseURI);
const MAX_IN_FLIGHT = 2;  // frames at the server at once; the browser's model runs one at a time
const JPEG_QUALITY = 0.8;
const video = root.querySelector('video');
const canvas = root.querySelector('canvas');
const startButton = root.querySelector('.live-start');
const cameraSelect = root.querySelector('.live-camera');
const whereSelect = root.querySelector('.live-where');
const message = root.querySelector('.live-message');
const stats = root.querySelector('.live-stats');
const out = canvas.getContext('2d');
const layer = () => {
  const c = document.createElement('canvas');
  return [c, c.getContext('2d')];
};
const [small, smallCtx] = layer();
const [person, personCtx] = layer();
const [holes, holesCtx] = layer();
const [spread, spreadCtx] = layer();
const slots = Array.from({length: MAX_IN_FLIGHT + 2}, () => {
  const [frame, frameCtx] = layer();
  const [matte, matteCtx] = layer();
  return {frame, frameCtx, matte, matteCtx, pixels: null, busy: false};
});
// Older browsers: Firefox before 132 has no requestVideoFrameCallback (frames are then taken once per display
// refresh), Safari before 18 no canvas filters (the blur then comes from the reduction alone).
const onNextFrame = 'requestVideoFrameCallback' in HTMLVideoElement.prototype
  ? callback => video.requestVideoFrameCallback(callback)
  : callback => requestAnimationFrame(now => callback(now, {}));
const CANVAS_FILTERS = typeof spreadCtx.filter === 'string';
const streamId = Math.random().toString(36).slice(2) + Date.now().toString(36);

// The page's Look settings arrive through configure(); until then the server's defaults apply (threshold: the
// model's own).
const settings = {model: '', kind: 'blur', threshold: null, softness: 0.2, blur: 15, color: '#00ff00',
                  background: null, smoothing: 0.9};
let backgroundImage = null;
let stream = null, running = false, inFlight = 0, sent = 0, latest = null, shownId = 0, failures = 0, count = 0;
const painted = [];  // [paint time, capture time, model ms] of recent painted frames, for the stats line

function say(text) {
  message.textContent = text || '';
  message.hidden = !text;
}

const REFUSED = 'Camera access was refused. Allow the camera for this page (the camera icon in the address bar) ' +
                'and press Start camera again.';
const CAMERA_ERRORS = {
  NotAllowedError: REFUSED,
  SecurityError: REFUSED,
  NotFoundError: 'No camera was found. Connect one and press Start camera again.',
  OverconstrainedError: 'The chosen camera is not available. Pick another one.',
  NotReadableError: 'The camera could not be started: another application may be using it.',
  AbortError: 'The camera could not be started: another application may be using it.',
};

async function listCameras(currentId) {
  const cameras = (await navigator.mediaDevices.enumerateDevices()).filter(d => d.kind === 'videoinput');
  cameraSelect.replaceChildren(...cameras.map((camera, i) => {
    const option = document.createElement('option');
    option.value = camera.deviceId;
    option.textContent = camera.label || 'Camera ' + (i + 1);
    option.selected = camera.deviceId === currentId;
    return option;
  }));
  cameraSelect.hidden = cameras.length < 2;
}

async function start(deviceId) {
  stop();
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    say('The camera needs a secure page: open the demo over https:// or at http://localhost.');
    return;
  }
  say('Waiting for the camera…');
  const videoConstraints = {width: {ideal: 640}, height: {ideal: 480}, frameRate: {ideal: 30}};
  if (deviceId) videoConstraints.deviceId = {exact: deviceId};
  try {
    stream = await navigator.mediaDevices.getUserMedia({video: videoConstraints, audio: false});
  } catch (error) {
    say(CAMERA_ERRORS[error.name] || 'The camera could not be started: ' + error.message);
    return;
  }
  video.srcObject = stream;
  await video.play();
  const track = stream.getVideoTracks()[0];
  await listCameras(track.getSettings().deviceId).catch(() => {});
  track.addEventListener('ended', () => { stop(); say('The camera stopped.'); });
  say('');
  await chooseEngine();
  running = true;
  failures = 0;
  startButton.textContent = 'Stop camera';
  onNextFrame(onCameraFrame);
  requestAnimationFrame(paint);
}

function stop() {
  running = false;
  if (stream) stream.getTracks().forEach(track => track.stop());
  stream = null;
  startButton.textContent = 'Start camera';
}

function onCameraFrame(now, metadata) {
  if (!running) return;
  onNextFrame(onCameraFrame);
  const slot = slots.find(s => !s.busy);
  const limit = where === 'browser' ? 1 : MAX_IN_FLIGHT;
  if (inFlight >= limit || !slot || (where === 'browser' && !engine)) return;  // busy: skip the frame, never queue
  const captured = metadata.captureTime > now - 1000 && metadata.captureTime <= now ? metadata.captureTime : now;
  slot.busy = true;
  inFlight += 1;
  resize(slot.frame, video.videoWidth, video.videoHeight);
  slot.frameCtx.drawImage(video, 0, 0);
  (where === 'browser' ? segmentHere(slot, captured) : send(slot, captured)).finally(() => { inFlight -= 1; });
}

// A frame's matte arrived (from either place): it replaces the one waiting to be painted unless that is newer.
function arrived(slot, id, captured, modelMs) {
  if (latest === null || id > latest.id) {
    if (latest) latest.slot.busy = false;  // painted already, or superseded
    latest = {id, slot, captured, modelMs};
    return true;
  }
  return false;
}

// The frame at the model's size as JPEG bytes; toDataURL encodes at once, where toBlob waits for another thread.
function smallJpeg(frame) {
  const scale = longSide / Math.max(frame.width, frame.height, longSide);
  resize(small, Math.round(frame.width * scale), Math.round(frame.height * scale));
  smallCtx.drawImage(frame, 0, 0, small.width, small.height);
  const text = atob(small.toDataURL('image/jpeg', JPEG_QUALITY).split(',')[1]);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

// The server's matte (one byte per pixel) as the alpha of a white image on the slot's matte canvas.
function putMatte(slot, alpha, width, height) {
  if (!slot.pixels || slot.pixels.width !== width || slot.pixels.height !== height) {
    slot.pixels = new ImageData(width, height);
    slot.pixels.data.fill(255);
    resize(slot.matte, width, height);
  }
  const data = slot.pixels.data;
  for (let i = 0; i < alpha.length; i++) data[4 * i + 3] = alpha[i];
  slot.matteCtx.putImageData(slot.pixels, 0, 0);
}

async function send(slot, captured) {
  const id = ++sent;
  const jpeg = smallJpeg(slot.frame);
  // 'mask' is a hard mask at the threshold, as effects.py draws it: no softness
  const query = new URLSearchParams({model: settings.model, stream: streamId,
                                     softness: settings.kind === 'mask' ? 0 : settings.softness,
                                     smoothing: settings.smoothing});
  if (settings.threshold !== null) query.set('threshold', settings.threshold);
  try {
    const response = await fetch(ENDPOINT + '?' + query, {method: 'POST', body: jpeg,
                                                          headers: {'Content-Type': 'image/jpeg'}});
    if (!response.ok) throw new Error(await response.text());
    longSide = Number(response.headers.get('X-Live-Long-Side')) || longSide;
    putMatte(slot, new Uint8Array(await response.arrayBuffer()), Number(response.headers.get('X-Width')),
             Number(response.headers.get('X-Height')));
    if (failures) say('');  // the server answers again: its error no longer applies
    failures = 0;
    if (arrived(slot, id, captured, Number(response.headers.get('X-Model-Ms')))) return;
  } catch (error) {
    failures += 1;
    say('The server could not segment the frame: ' + error.message);
    if (failures >= 10) stop();
  }
  slot.busy = false;
}

function paint() {
  if (!running) return;
  requestAnimationFrame(paint);
  if (latest === null || latest.id === shownId) return;
  compose(latest.slot.frame, latest.slot.matte);
  shownId = latest.id;
  count += 1;
  canvas.dataset.frame = latest.id;  // for benchmarks/webcam_latency.py and the browser tests
  canvas.dataset.captured = latest.captured;
  canvas.dataset.painted = count;
  painted.push([performance.now(), latest.captured, latest.modelMs]);
  if (painted.length > 60) painted.shift();
  showStats();
}

function showStats() {
  if (painted.length < 2 || count % 10) return;
  const first = painted[0], last = painted[painted.length - 1];
  const fps = (painted.length - 1) / ((last[0] - first[0]) / 1000);
  const median = values => values.sort((a, b) => a - b)[values.length >> 1];
  stats.textContent = (where === 'browser' ? 'model in this browser (' + engine.describe + ')'
                                           : 'model on the server') + ' · ' + fps.toFixed(1) + ' frames/s painted · ' +
      median(painted.map(p => p[0] - p[1])).toFixed(0) + ' ms camera to screen · model ' +
      median(painted.map(p => p[2])).toFixed(0) + ' ms · ' + canvas.width + 'x' + canvas.height;
}

function resize(c, width, height) {
  if (c.width !== width || c.height !== height) { c.width = width; c.height = height; }
}

function compose(frame, matte) {
  const w = frame.width, h = frame.height;
  resize(canvas, w, h);
  resize(person, w, h);
  personCtx.globalCompositeOperation = 'copy';
  personCtx.drawImage(frame, 0, 0);
  personCtx.globalCompositeOperation = 'destination-in';
  personCtx.drawImage(matte, 0, 0, w, h);
  out.globalCompositeOperation = 'source-over';
  out.clearRect(0, 0, w, h);
  if (settings.kind === 'mask') {
    out.fillStyle = '#000';
    out.fillRect(0, 0, w, h);
    out.drawImage(matte, 0, 0, w, h);
    return;
  }
  if (settings.kind === 'color') {
    out.fillStyle = settings.color;
    out.fillRect(0, 0, w, h);
  } else if (settings.kind === 'replace' && backgroundImage) {
    drawCover(backgroundImage, w, h);
  } else if (settings.kind === 'cutout') {
    drawCheckerboard(w, h);
  } else if (settings.kind === 'blur' || settings.kind === 'replace') {
    out.drawImage(frame, 0, 0);  // shows only where no background is near: inside the person
    drawBlurredBackground(frame, matte, w, h);
  }
  out.drawImage(person, 0, 0);
}

// Transparency shown as effects.checkerboard() shows it: 16-pixel cells, grey 204 and 153.
function drawCheckerboard(w, h) {
  out.fillStyle = 'rgb(153, 153, 153)';
  out.fillRect(0, 0, w, h);
  out.fillStyle = 'rgb(204, 204, 204)';
  for (let y = 0; y < h; y += 16) {
    for (let x = (y / 16) % 2 ? 16 : 0; x < w; x += 32) out.fillRect(x, y, 16, 16);
  }
}

// Scaled to cover the frame and cropped centred at whole pixels, as effects.cover() does.
function drawCover(image, w, h) {
  const scale = Math.max(w / image.naturalWidth, h / image.naturalHeight);
  const sw = Math.max(w, Math.round(image.naturalWidth * scale));
  const sh = Math.max(h, Math.round(image.naturalHeight * scale));
  out.imageSmoothingQuality = 'high';  // an area-like reduction, as effects.cover() makes
  out.drawImage(image, -Math.floor((sw - w) / 2), -Math.floor((sh - h) / 2), sw, sh);
}

// The background blurred without the person (no halo), as blurred() in effects.py: at a reduced size, the
// person cut out, blurred, then normalised by the blurred coverage. Canvas pixels are premultiplied, so a blurred
// layer with holes already holds blur(colour * weight) and blur(weight); drawing the layer over itself raises its
// alpha towards 1 while keeping the colour (colour * weight / weight), which is that normalisation.
function drawBlurredBackground(frame, matte, w, h) {
  const sigma = Math.max(0.5, settings.blur * Math.max(w, h) / 640);
  const factor = CANVAS_FILTERS ? Math.max(1, Math.floor(sigma / 4)) : Math.max(1, Math.round(1.5 * sigma));
  const sw = Math.max(1, Math.round(w / factor)), sh = Math.max(1, Math.round(h / factor));
  resize(holes, sw, sh);
  resize(spread, sw, sh);
  holesCtx.globalCompositeOperation = 'copy';
  holesCtx.drawImage(frame, 0, 0, sw, sh);
  holesCtx.globalCompositeOperation = 'destination-out';
  holesCtx.drawImage(matte, 0, 0, sw, sh);
  spreadCtx.globalCompositeOperation = 'copy';
  if (CANVAS_FILTERS) spreadCtx.filter = 'blur(' + (sigma / factor).toFixed(2) + 'px)';
  spreadCtx.drawImage(holes, 0, 0);
  if (CANVAS_FILTERS) spreadCtx.filter = 'none';
  spreadCtx.globalCompositeOperation = 'source-over';
  for (let i = 0; i < 5; i++) spreadCtx.drawImage(spread, 0, 0);
  out.drawImage(spread, 0, 0, w, h);
}

// Returns a promise that settles once the settings are in force (a new background image loaded, or failed to).
function configure(values) {
  const modelChanged = values.model !== undefined && values.model !== settings.model;
  Object.assign(settings, values);
  if (modelChanged && running && where === 'browser') chooseEngine();
  const url = settings.background && (settings.background.url || settings.background);
  if (settings.kind === 'replace' && !url) say('Choose a background image for "Image" first.');
  else if (message.textContent.startsWith('Choose a background')) say('');
  if (!url) { backgroundImage = null; return Promise.resolve(); }
  if (backgroundImage && backgroundImage.src === url) return Promise.resolve();
  const image = new Image();
  return new Promise(done => {
    image.onload = () => { backgroundImage = image; done(); };
    image.onerror = () => done();
    image.src = url;
  });
}

// ---- the model in this browser (ONNX Runtime Web) ----------------------------------------------------------
// The frame at the model's live size, padded bottom/right with grey 128 to its output stride, as RGB 0..255 in a
// float32 NCHW tensor (normalisation is inside the exported graph), exactly as geometry.to_input() places it for
// the server; the probability is cropped back, smoothed over time as temporal.py smooths it, and made a matte at
// the threshold and softness as effects.alpha_from_prob() does.
let where = 'browser', engine = null, enginePromise = null, ortModule = null, serverReason = '';
const PAD = 128;
// A module using one SIMD instruction (from wasm-feature-detect): WebAssembly.validate says whether SIMD is there.
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0,
                                   65, 0, 253, 15, 253, 98, 11]);

function browserCanRun() {
  if (typeof WebAssembly !== 'object' || !WebAssembly.validate) return 'this browser has no WebAssembly';
  if (!WebAssembly.validate(SIMD_PROBE)) return 'this browser has no WebAssembly SIMD';
  return '';
}

async function loadEngine(model) {
  const missing = browserCanRun();
  if (missing) throw new Error(missing);
  const answer = await fetch(MODELS + 'config.json?' + new URLSearchParams({model}));
  if (!answer.ok) throw new Error(await answer.text());
  const info = await answer.json();
  if (!info.browser) throw new Error(info.reason);
  if (!ortModule) {
    ortModule = await import(new URL('ort.wasm.min.mjs', RUNTIME).href);
    ortModule.env.wasm.wasmPaths = RUNTIME.href;
    ortModule.env.wasm.numThreads = self.crossOriginIsolated ? Math.min(2, navigator.hardwareConcurrency || 1) : 1;
  }
  const session = await ortModule.InferenceSession.create(new URL(info.onnx, document.baseURI).href,
                                                          {executionProviders: ['wasm']});
  const threads = ortModule.env.wasm.numThreads;
  return {model: info.model, session, config: info.config, previous: null,
          describe: info.precision + ', ' + threads + (threads > 1 ? ' threads' : ' thread')};
}

// Where the model runs for the chosen model: here when asked and able, else the server, said in one line.
async function chooseEngine() {
  const model = settings.model || '';
  if (whereSelect && whereSelect.value === 'server') { useServer(''); return; }
  if (engine && engine.model === (model || engine.model)) { where = 'browser'; return; }
  try {
    enginePromise = enginePromise || loadEngine(model);
    const loaded = await enginePromise;
    if ((settings.model || '') !== model) return chooseEngine();  // the model changed meanwhile
    engine = loaded;
    longSide = engine.config.live_long_side;
    where = 'browser';
  } catch (error) {
    useServer(error.message || String(error));
  } finally {
    enginePromise = null;
  }
}

function useServer(reason) {
  where = 'server';
  engine = null;
  serverReason = reason;
  if (reason) say('The model runs on the server: ' + reason + '.');
}

async function segmentHere(slot, captured) {
  const id = ++sent;
  const current = engine;
  try {
    const started = performance.now();
    const matte = await matteHere(current, slot.frame, settings.smoothing);
    const modelMs = performance.now() - started;
    if (current !== engine) { slot.busy = false; return; }  // the model changed while this frame ran
    putMatte(slot, matte.alpha, matte.width, matte.height);
    if (arrived(slot, id, captured, modelMs)) return;
  } catch (error) {
    useServer('the model failed in this browser (' + (error.message || error) + ')');
  }
  slot.busy = false;
}

// The frame's matte from the model in this browser: {alpha (Uint8Array), width, height, pixels (the RGBA the
// model saw, for the parity test)}.
async function matteHere(current, frame, smoothing) {
  const scale = current.config.live_long_side / Math.max(frame.width, frame.height, current.config.live_long_side);
  const w = Math.round(frame.width * scale), h = Math.round(frame.height * scale);
  resize(small, w, h);
  smallCtx.drawImage(frame, 0, 0, w, h);
  const pixels = smallCtx.getImageData(0, 0, w, h).data;
  return matteOfPixels(current, pixels, w, h, smoothing);
}

async function matteOfPixels(current, pixels, w, h, smoothing) {
  const stride = current.config.output_stride;
  const ph = Math.ceil(h / stride) * stride, pw = Math.ceil(w / stride) * stride, plane = ph * pw;
  const input = new Float32Array(3 * plane).fill(PAD);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = 4 * (y * w + x), o = y * pw + x;
      input[o] = pixels[i];
      input[plane + o] = pixels[i + 1];
      input[2 * plane + o] = pixels[i + 2];
    }
  }
  const session = current.session;
  const outputs = await session.run({[session.inputNames[0]]: new ortModule.Tensor('float32', input, [1, 3, ph, pw])});
  const padded = outputs[session.outputNames[0]].data;
  let prob = new Float32Array(w * h);
  for (let y = 0; y < h; y++) prob.set(padded.subarray(y * pw, y * pw + w), y * w);
  prob = smoothed(current, prob, w, h, smoothing);
  const threshold = settings.threshold === null ? current.config.threshold : Number(settings.threshold);
  const softness = settings.kind === 'mask' ? 0 : Number(settings.softness);
  const alpha = new Uint8Array(w * h);
  for (let i = 0; i < alpha.length; i++) {
    let a;
    if (softness <= 0) a = prob[i] >= threshold ? 1 : 0;
    else {
      const t = Math.min(1, Math.max(0, (prob[i] - threshold) / softness + 0.5));
      a = t * t * (3 - 2 * t);
    }
    alpha[i] = Math.floor(a * 255 + 0.5);
  }
  return {alpha, width: w, height: h, pixels};
}

// temporal.TemporalSmoother's "motion" method: w = weight * clip(1 - blur3x3(|prob - previous|) / 0.7, 0, 1).
function smoothed(current, prob, w, h, weight) {
  const previous = current.previous;
  let out = prob;
  if (weight > 0 && previous && previous.width === w && previous.height === h) {
    const before = previous.data;
    const reflect = (i, n) => (n === 1 ? 0 : i < 0 ? -i : i >= n ? 2 * n - 2 - i : i);  // OpenCV's default border
    out = new Float32Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let change = 0;
        for (let dy = -1; dy <= 1; dy++) {
          const row = reflect(y + dy, h) * w;
          for (let dx = -1; dx <= 1; dx++) change += Math.abs(prob[row + reflect(x + dx, w)] - before[row + reflect(x + dx, w)]);
        }
        const i = y * w + x, blend = weight * Math.min(1, Math.max(0, 1 - change / 9 / 0.7));
        out[i] = blend * before[i] + (1 - blend) * prob[i];
      }
    }
  }
  current.previous = {data: out, width: w, height: h};
  return out;
}

startButton.addEventListener('click', () => (running ? stop() : start()));
if (whereSelect) whereSelect.addEventListener('change', () => { if (running) chooseEngine(); });
// Leaving the Webcam tab hides the component: the camera is switched off rather than left filming unseen.
new IntersectionObserver(() => { if (running && root.offsetParent === null) stop(); }).observe(root);
cameraSelect.addEventListener('change', () => start(cameraSelect.value));
// For the browser tests and benchmarks/webcam_latency.py: where the model runs, and the browser's matte of given
// pixels (RGBA at the live size, no smoothing) with the model the page runs.
const state = () => ({where, reason: serverReason, engine: engine && engine.describe,
                      liveSide: engine && engine.config.live_long_side});
const matteOf = async (rgba, w, h) => {
  if (!engine) await chooseEngine();
  if (!engine) throw new Error(serverReason);
  const result = await matteOfPixels({...engine, previous: null}, new Uint8ClampedArray(rgba), w, h, 0);
  return Array.from(result.alpha);
};
window.portraitsegLive = {configure, start, stop, settings, compose, state, matteOf};
if (window.portraitsegLivePending) configure(window.portraitsegLivePending);
