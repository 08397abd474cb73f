// Where a frame's matte comes from. Both engines answer the same call, so the camera loop does not ask which:
//   engine.describe     the stats line's words for it
//   engine.maxInFlight  frames it takes at once (more are skipped, never queued)
//   await engine.matte(frame, look) -> {alpha: Uint8Array, width, height, modelMs}
// `frame` is a canvas at the camera's size; `look` holds threshold (null: the model's own), softness and
// smoothing. A model's entry in the live config (routes.py, LIVE_CONFIG) gives live_long_side, threshold,
// output_stride and, where the page may run it, browser.onnx.
import {alphaFromProb, cropped, inputTensor, scaledSize, smoothMotion} from './matte.mjs';
import {resize} from './compose.mjs';

const JPEG_QUALITY = 0.8;
// A module using one SIMD instruction (from wasm-feature-detect): WebAssembly.validate says whether SIMD is there.
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0,
                                   65, 0, 253, 15, 253, 98, 11]);

// 'mask' is a hard mask at the threshold, as effects.py draws it: no softness.
const softnessOf = look => (look.kind === 'mask' ? 0 : Number(look.softness));

// The frame at the model's live size on a scratch canvas.
function scaledFrame(scratch, frame, longSide) {
  const [w, h] = scaledSize(frame.width, frame.height, longSide);
  resize(scratch, w, h);
  scratch.getContext('2d', {willReadFrequently: true}).drawImage(frame, 0, 0, w, h);
  return scratch;
}

// The model on the server: the frame goes to the live route as a small JPEG, the matte comes back one byte a pixel.
export class ServerEngine {
  constructor(endpoint, name, entry, streamId) {
    Object.assign(this, {endpoint, name, entry, streamId});
    this.describe = 'model on the server';
    this.maxInFlight = 2;
    this.scratch = document.createElement('canvas');
  }

  // The frame as JPEG bytes; toDataURL encodes at once, where toBlob waits for another thread.
  jpeg(frame) {
    const small = scaledFrame(this.scratch, frame, this.entry.live_long_side);
    const text = atob(small.toDataURL('image/jpeg', JPEG_QUALITY).split(',')[1]);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return bytes;
  }

  async matte(frame, look) {
    const query = new URLSearchParams({model: this.name, stream: this.streamId, softness: softnessOf(look),
                                       smoothing: look.smoothing});
    if (look.threshold !== null) query.set('threshold', look.threshold);
    const response = await fetch(this.endpoint + '?' + query, {method: 'POST', body: this.jpeg(frame),
                                                               headers: {'Content-Type': 'image/jpeg'}});
    if (!response.ok) throw new Error(await response.text());
    return {alpha: new Uint8Array(await response.arrayBuffer()), width: Number(response.headers.get('X-Width')),
            height: Number(response.headers.get('X-Height')), modelMs: Number(response.headers.get('X-Model-Ms'))};
  }
}

// Why this browser cannot run the model ('' when it can).
export function browserCannotRun() {
  if (typeof WebAssembly !== 'object' || !WebAssembly.validate) return 'this browser has no WebAssembly';
  if (!WebAssembly.validate(SIMD_PROBE)) return 'this browser has no WebAssembly SIMD';
  return '';
}

let ortModule = null;

// The model in this browser, by ONNX Runtime Web (the runtime's files at `runtime`); no frame leaves the computer.
export class BrowserEngine {
  static async load(name, entry, runtime) {
    const missing = browserCannotRun() || (!entry.browser.onnx && entry.browser.reason);
    if (missing) throw new Error(missing);
    if (!ortModule) {
      ortModule = await import(new URL('ort.wasm.min.mjs', runtime).href);
      ortModule.env.wasm.wasmPaths = runtime.href;
      ortModule.env.wasm.numThreads = self.crossOriginIsolated ? Math.min(2, navigator.hardwareConcurrency || 1) : 1;
    }
    const session = await ortModule.InferenceSession.create(new URL(entry.browser.onnx, document.baseURI).href,
                                                            {executionProviders: ['wasm']});
    return new BrowserEngine(name, entry, session, ortModule.env.wasm.numThreads);
  }

  constructor(name, entry, session, threads) {
    Object.assign(this, {name, entry, session});
    this.describe = 'model in this browser (' + entry.browser.precision + ', ' + threads +
                    (threads > 1 ? ' threads)' : ' thread)');
    this.maxInFlight = 1;  // ONNX Runtime Web runs one call at a time
    this.previous = null;  // the last smoothed probability
    this.scratch = document.createElement('canvas');
  }

  async matte(frame, look) {
    const small = scaledFrame(this.scratch, frame, this.entry.live_long_side);
    const pixels = small.getContext('2d', {willReadFrequently: true}).getImageData(0, 0, small.width, small.height);
    const started = performance.now();
    const result = await this.matteOfPixels(pixels.data, small.width, small.height, look, true);
    return {...result, modelMs: performance.now() - started};
  }

  // The matte of RGBA pixels at the live size; `smooth`: with the earlier frames (the camera), or alone (tests).
  async matteOfPixels(rgba, w, h, look, smooth) {
    const input = inputTensor(rgba, w, h, this.entry.output_stride);
    const session = this.session;
    const outputs = await session.run({[session.inputNames[0]]: new ortModule.Tensor(
      'float32', input.data, [1, 3, input.height, input.width])});
    let prob = cropped(outputs[session.outputNames[0]].data, input.width, w, h);
    if (smooth) {
      this.previous = smoothMotion(prob, this.previous, w, h, Number(look.smoothing));
      prob = this.previous.data;
    }
    const threshold = look.threshold === null ? this.entry.threshold : Number(look.threshold);
    return {alpha: alphaFromProb(prob, threshold, softnessOf(look)), width: w, height: h};
  }
}
