// The live webcam's loop: camera in, engine (engines.mjs) for each frame's matte, compositor (compose.mjs) out.
// Frames are taken as the camera delivers them and skipped while the engine is busy (never queued); painting
// happens in requestAnimationFrame, so every composed frame is a painted one. Everything the page needs to know of
// the models comes from the one live config (root.dataset.config, built by live_config.py).
import {Compositor, resize} from './compose.mjs';
import {BrowserEngine, ServerEngine} from './engines.mjs';

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
const SERVER_FAILURES_TO_STOP = 10;

// The start button stays disabled until the live config has arrived and the view listens.
export async function mount(element) {
  const root = element.querySelector('.live');
  let config;
  try {
    const answer = await fetch(new URL(root.dataset.config, document.baseURI));
    if (!answer.ok) throw new Error(await answer.text());
    config = await answer.json();
  } catch (error) {
    const message = root.querySelector('.live-message');
    message.textContent = 'The webcam could not be set up: ' + (error.message || error) + '. Reload the page.';
    message.hidden = false;
    return null;
  }
  const live = new LiveView(root, config);
  window.portraitsegLive = live.api();
  if (window.portraitsegLivePending) live.configure(window.portraitsegLivePending);
  live.startButton.disabled = false;
  return live;
}

class LiveView {
  constructor(root, config) {
    this.config = config;
    this.endpoint = new URL(config.routes.frames, document.baseURI);
    this.runtime = new URL(config.routes.runtime, document.baseURI);
    this.video = root.querySelector('video');
    this.canvas = root.querySelector('canvas');
    this.startButton = root.querySelector('.live-start');
    this.cameraSelect = root.querySelector('.live-camera');
    this.whereSelect = root.querySelector('.live-where');
    this.message = root.querySelector('.live-message');
    this.stats = root.querySelector('.live-stats');
    this.compositor = new Compositor(this.canvas);
    // a frame waiting to be painted keeps its slot; slots beyond the engine's frames in flight keep one spare
    this.slots = Array.from({length: 4}, () => ({frame: document.createElement('canvas'),
                                                 matte: document.createElement('canvas'), pixels: null, busy: false}));
    // until the page's Look settings arrive through configure(): the config's starting look, the model's threshold
    this.look = {model: config.default, threshold: null, background: null, ...config.look};
    this.backgroundImage = null;
    this.streamId = Math.random().toString(36).slice(2) + Date.now().toString(36);
    this.engine = null;
    this.loading = null;
    this.serverReason = '';
    Object.assign(this, {stream: null, running: false, inFlight: 0, sent: 0, latest: null, shownId: 0, failures: 0,
                         count: 0, painted: []});
    // Firefox before 132 has no requestVideoFrameCallback: frames are then taken once per display refresh.
    this.onNextFrame = 'requestVideoFrameCallback' in HTMLVideoElement.prototype
      ? callback => this.video.requestVideoFrameCallback(callback)
      : callback => requestAnimationFrame(now => callback(now, {}));
    this.startButton.addEventListener('click', () => (this.running ? this.stop() : this.start()));
    this.whereSelect.addEventListener('change', () => { if (this.running) this.chooseEngine(); });
    this.cameraSelect.addEventListener('change', () => this.start(this.cameraSelect.value));
    // Leaving the Webcam tab hides the component: the camera is switched off rather than left filming unseen.
    new IntersectionObserver(() => { if (this.running && root.offsetParent === null) this.stop(); }).observe(root);
  }

  say(text) {
    this.message.textContent = text || '';
    this.message.hidden = !text;
  }

  entry(name) {
    return this.config.models[name] || this.config.models[this.config.default];
  }

  // The engine for the chosen model: this browser when asked and able, else the server, said in one line.
  async chooseEngine() {
    const name = this.config.models[this.look.model] ? this.look.model : this.config.default;
    const entry = this.entry(name);
    if (this.whereSelect.value === 'server') return this.useServer(name, '');
    if (this.engine instanceof BrowserEngine && this.engine.name === name) return;
    try {
      const loading = this.loading = BrowserEngine.load(name, entry, this.runtime);
      const engine = await loading;
      if (this.loading === loading) this.engine = engine;  // else another model was chosen meanwhile
    } catch (error) {
      this.useServer(name, error.message || String(error));
    }
  }

  useServer(name, reason) {
    this.engine = new ServerEngine(this.endpoint, name, this.entry(name), this.streamId);
    this.serverReason = reason;
    if (reason) this.say('The model runs on the server: ' + reason + '.');
  }

  async listCameras(currentId) {
    const cameras = (await navigator.mediaDevices.enumerateDevices()).filter(d => d.kind === 'videoinput');
    this.cameraSelect.replaceChildren(...cameras.map((camera, i) => {
      const option = document.createElement('option');
      option.value = camera.deviceId;
      option.textContent = camera.label || 'Camera ' + (i + 1);
      option.selected = camera.deviceId === currentId;
      return option;
    }));
    this.cameraSelect.hidden = cameras.length < 2;
  }

  async start(deviceId) {
    this.stop();
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      this.say('The camera needs a secure page: open the demo over https:// or at http://localhost.');
      return;
    }
    this.say('Waiting for the camera…');
    const constraints = {width: {ideal: 640}, height: {ideal: 480}, frameRate: {ideal: 30}};
    if (deviceId) constraints.deviceId = {exact: deviceId};
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({video: constraints, audio: false});
    } catch (error) {
      this.say(CAMERA_ERRORS[error.name] || 'The camera could not be started: ' + error.message);
      return;
    }
    this.video.srcObject = this.stream;
    await this.video.play();
    const track = this.stream.getVideoTracks()[0];
    await this.listCameras(track.getSettings().deviceId).catch(() => {});
    track.addEventListener('ended', () => { this.stop(); this.say('The camera stopped.'); });
    this.say('');
    await this.chooseEngine();
    this.running = true;
    this.failures = 0;
    this.startButton.textContent = 'Stop camera';
    this.onNextFrame((now, metadata) => this.onCameraFrame(now, metadata));
    requestAnimationFrame(() => this.paint());
  }

  stop() {
    this.running = false;
    if (this.stream) this.stream.getTracks().forEach(track => track.stop());
    this.stream = null;
    this.startButton.textContent = 'Start camera';
  }

  onCameraFrame(now, metadata) {
    if (!this.running) return;
    this.onNextFrame((next, data) => this.onCameraFrame(next, data));
    const engine = this.engine, slot = this.slots.find(s => !s.busy);
    if (!engine || !slot || this.inFlight >= engine.maxInFlight) return;  // busy: skip the frame, never queue
    const captured = metadata.captureTime > now - 1000 && metadata.captureTime <= now ? metadata.captureTime : now;
    slot.busy = true;
    this.inFlight += 1;
    resize(slot.frame, this.video.videoWidth, this.video.videoHeight);
    slot.frame.getContext('2d').drawImage(this.video, 0, 0);
    this.segment(engine, slot, ++this.sent, captured).finally(() => { this.inFlight -= 1; });
  }

  async segment(engine, slot, id, captured) {
    try {
      const matte = await engine.matte(slot.frame, this.look);
      if (engine !== this.engine) { slot.busy = false; return; }  // the model or its place changed meanwhile
      putMatte(slot, matte.alpha, matte.width, matte.height);
      if (this.failures) this.say('');  // the engine answers again: its error no longer applies
      this.failures = 0;
      if (this.arrived(slot, id, captured, matte.modelMs)) return;
    } catch (error) {
      this.failed(engine, error);
    }
    slot.busy = false;
  }

  failed(engine, error) {
    if (engine instanceof BrowserEngine) {
      this.useServer(engine.name, 'the model failed in this browser (' + (error.message || error) + ')');
      return;
    }
    this.failures += 1;
    this.say('The server could not segment the frame: ' + error.message);
    if (this.failures >= SERVER_FAILURES_TO_STOP) this.stop();
  }

  // A frame's matte arrived: it replaces the one waiting to be painted unless that is newer.
  arrived(slot, id, captured, modelMs) {
    if (this.latest !== null && id <= this.latest.id) return false;
    if (this.latest) this.latest.slot.busy = false;  // painted already, or superseded
    this.latest = {id, slot, captured, modelMs};
    return true;
  }

  paint() {
    if (!this.running) return;
    requestAnimationFrame(() => this.paint());
    const latest = this.latest;
    if (latest === null || latest.id === this.shownId) return;
    this.compositor.draw(latest.slot.frame, latest.slot.matte, {...this.look, backgroundImage: this.backgroundImage});
    this.shownId = latest.id;
    this.count += 1;
    Object.assign(this.canvas.dataset, {frame: latest.id, captured: latest.captured, painted: this.count});
    this.painted.push([performance.now(), latest.captured, latest.modelMs]);
    if (this.painted.length > 60) this.painted.shift();
    this.showStats();
  }

  showStats() {
    const painted = this.painted;
    if (painted.length < 2 || this.count % 10) return;
    const first = painted[0], last = painted[painted.length - 1];
    const fps = (painted.length - 1) / ((last[0] - first[0]) / 1000);
    const median = values => values.sort((a, b) => a - b)[values.length >> 1];
    this.stats.textContent = this.engine.describe + ' · ' + fps.toFixed(1) + ' frames/s painted · ' +
        median(painted.map(p => p[0] - p[1])).toFixed(0) + ' ms camera to screen · model ' +
        median(painted.map(p => p[2])).toFixed(0) + ' ms · ' + this.canvas.width + 'x' + this.canvas.height;
  }

  // The page's Look settings; the promise settles once they are in force (a new background image loaded, or not).
  configure(values) {
    const modelChanged = values.model !== undefined && values.model !== this.look.model;
    Object.assign(this.look, values);
    if (modelChanged && this.running) this.chooseEngine();
    const url = this.look.background && (this.look.background.url || this.look.background);
    if (this.look.kind === 'replace' && !url) this.say('Choose a background image for "Image" first.');
    else if (this.message.textContent.startsWith('Choose a background')) this.say('');
    if (!url) { this.backgroundImage = null; return Promise.resolve(); }
    if (this.backgroundImage && this.backgroundImage.src === url) return Promise.resolve();
    const image = new Image();
    return new Promise(done => {
      image.onload = () => { this.backgroundImage = image; done(); };
      image.onerror = () => done();
      image.src = url;
    });
  }

  // For the browser tests and benchmarks/webcam_latency.py.
  api() {
    return {
      configure: values => this.configure(values),
      start: () => this.start(),
      stop: () => this.stop(),
      look: this.look,
      // where the model runs, why not here, and the size it is fed at
      state: () => ({where: this.engine instanceof BrowserEngine ? 'browser' : this.engine ? 'server' : null,
                     reason: this.serverReason, engine: this.engine && this.engine.describe,
                     liveSide: this.entry(this.look.model).live_long_side}),
      // the browser's matte of RGBA pixels at the live size (no smoothing), with the model the page runs
      matteOf: async (rgba, w, h) => {
        if (!(this.engine instanceof BrowserEngine)) await this.chooseEngine();
        if (!(this.engine instanceof BrowserEngine)) throw new Error(this.serverReason);
        const result = await this.engine.matteOfPixels(new Uint8ClampedArray(rgba), w, h, this.look, false);
        return Array.from(result.alpha);
      },
    };
  }
}

// The matte (one byte per pixel) as the alpha of a white image on the slot's matte canvas.
function putMatte(slot, alpha, width, height) {
  if (!slot.pixels || slot.pixels.width !== width || slot.pixels.height !== height) {
    slot.pixels = new ImageData(width, height);
    slot.pixels.data.fill(255);
    resize(slot.matte, width, height);
  }
  const data = slot.pixels.data;
  for (let i = 0; i < alpha.length; i++) data[4 * i + 3] = alpha[i];
  slot.matte.getContext('2d').putImageData(slot.pixels, 0, 0);
}
