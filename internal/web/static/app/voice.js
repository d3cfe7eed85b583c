// voice.js: voice notes. The recorder records the microphone with
// MediaRecorder (Opus, in Ogg where the browser writes it, else WebM; MP4
// on Safari) while an AnalyserNode samples the loudness ten times a
// second: that drives the live level bars and becomes the note's
// waveform, sent with it as 48 numbers (0–100) in the message body
// ({voice: {duration_ms, waveform}}), so the receiver draws it before the
// audio arrives and without decoding it. A note that came without one (a
// forwarded audio file, another client) has its waveform computed from
// the audio with the Web Audio API. The file itself is media like an
// image: uploaded to the chat, then sent as media_id.
//
// Recording: press and hold the microphone button, release to send, slide
// away (or press Escape) to cancel; a tap (or Enter/Space) starts a
// recording that stays on, with its timer, a cancel and a send button.
// Playing: play/pause, a waveform that shows the progress and seeks
// (click, or the arrow keys), the time, and a speed button 1×, 1.5×, 2×.

import { h, replace, toast } from '../shared/view.js';
import { t, errorText } from './i18n.js';
import { icon } from './icons.js';

export const BARS = 48;
const MAX_MS = 15 * 60 * 1000; // a note stops (and is sent) at 15 minutes
const HOLD_MS = 400; // pressed longer than this: a hold, sent on release
const MIN_MS = 500; // shorter notes are dropped (a slip of the finger)
const CANCEL_PX = 80; // slide this far from the button to cancel a hold
const SPEEDS = [1, 1.5, 2];

// recordingType is the first container and codec the browser records.
export function recordingType() {
  if (!window.MediaRecorder || !MediaRecorder.isTypeSupported) return '';
  for (const type of ['audio/ogg;codecs=opus', 'audio/webm;codecs=opus', 'audio/webm', 'audio/mp4']) {
    if (MediaRecorder.isTypeSupported(type)) return type;
  }
  return '';
}

export function canRecord() {
  return !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia && recordingType());
}

// clock formats seconds as m:ss.
export function clock(s) {
  if (!Number.isFinite(s) || s < 0) s = 0;
  const whole = Math.floor(s);
  return Math.floor(whole / 60) + ':' + String(whole % 60).padStart(2, '0');
}

// resample turns loudness samples into n bars from 0 to 100, scaled to
// the loudest sample, so a quiet note still shows its shape.
export function resample(levels, n = BARS) {
  if (!levels.length) return new Array(n).fill(0);
  const out = [];
  for (let i = 0; i < n; i++) {
    const a = Math.floor((i * levels.length) / n);
    const b = Math.max(a + 1, Math.floor(((i + 1) * levels.length) / n));
    let peak = 0;
    for (let j = a; j < b && j < levels.length; j++) peak = Math.max(peak, levels[j]);
    out.push(peak);
  }
  const top = Math.max(...out, 1e-4);
  return out.map((v) => Math.round((100 * v) / top));
}

function rms(buf) {
  let sum = 0;
  for (let i = 0; i < buf.length; i++) sum += buf[i] * buf[i];
  return Math.sqrt(sum / (buf.length || 1));
}

// waveSVG draws bars (0–100) as an inline SVG, one rect per bar;
// stretched to its box, or at its own proportions at the box's end (live).
function waveSVG(bars, stretch = true) {
  const NS = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${bars.length * 4} 32`);
  svg.setAttribute('preserveAspectRatio', stretch ? 'none' : 'xMaxYMid meet');
  svg.setAttribute('class', 'wave');
  svg.setAttribute('aria-hidden', 'true');
  bars.forEach((v, i) => {
    const r = document.createElementNS(NS, 'rect');
    const height = Math.max(2, (Math.min(100, Math.max(0, v)) / 100) * 30);
    r.setAttribute('x', String(i * 4));
    r.setAttribute('y', String((32 - height) / 2));
    r.setAttribute('width', '2.5');
    r.setAttribute('height', String(height));
    r.setAttribute('rx', '1');
    svg.append(r);
  });
  return svg;
}

// ---- recording ----

// VoiceRecorder is the composer's microphone button and its recording
// panel. onSend(blob, {duration_ms, waveform}) sends a finished note;
// onState(recording) lets the composer make room for the panel.
export class VoiceRecorder {
  constructor({ onSend, onState }) {
    this.onSend = onSend;
    this.onState = onState || (() => {});
    this.state = 'idle'; // idle | starting | holding | locked | stopping
    this.button = h('button.icon-btn#record', {
      type: 'button', 'aria-label': t('voice.record'), title: t('voice.recordHint'),
      onpointerdown: (ev) => this.down(ev),
      onpointerup: (ev) => this.up(ev),
      onpointermove: (ev) => this.move(ev),
      onpointercancel: () => this.cancel(),
      onclick: (ev) => { if (ev.detail === 0 && this.state === 'idle') this.start(true); }, // Enter or Space
      onkeydown: (ev) => { if (ev.key === 'Escape') this.cancel(); },
      oncontextmenu: (ev) => ev.preventDefault(), // a long press on a phone is a hold, not a menu
    }, icon('mic'));
    if (!canRecord()) this.button.classList.add('hidden');
    this.timer = h('span.voice-timer', { role: 'timer', 'aria-live': 'off' }, '0:00');
    this.levels = h('span.voice-levels');
    this.panel = h('div.voice-rec.hidden', { role: 'group', 'aria-label': t('voice.recording'),
      onkeydown: (ev) => { if (ev.key === 'Escape') { ev.preventDefault(); this.cancel(); } } },
      h('button.icon-btn#voice-cancel', { type: 'button', 'aria-label': t('voice.cancel'), title: t('voice.cancel'), onclick: () => this.cancel() }, icon('trash')),
      h('span.rec-dot', { 'aria-hidden': 'true' }), this.timer, this.levels,
      h('button.btn.primary#voice-send', { type: 'button', 'aria-label': t('voice.send'), title: t('voice.send'), onclick: () => this.stop(true) }, icon('send')));
  }

  down(ev) {
    if (ev.button !== 0 || this.state !== 'idle') return;
    ev.preventDefault();
    this.downAt = performance.now();
    this.downX = ev.clientX;
    this.downY = ev.clientY;
    try { this.button.setPointerCapture(ev.pointerId); } catch { /* not captured: leaving the button cancels nothing */ }
    this.start(false);
  }

  up() {
    if (this.state !== 'starting' && this.state !== 'holding') return;
    if (performance.now() - this.downAt >= HOLD_MS) this.stop(true);
    else this.lock();
  }

  move(ev) {
    if (this.state !== 'holding' && this.state !== 'starting') return;
    if (Math.hypot(ev.clientX - this.downX, ev.clientY - this.downY) > CANCEL_PX) this.cancel();
  }

  lock() {
    this.state = this.state === 'starting' ? 'starting-locked' : 'locked';
    this.panel.classList.add('locked');
    const send = this.panel.querySelector('#voice-send');
    if (send) send.focus();
  }

  async start(locked) {
    this.state = 'starting';
    this.show(true);
    if (locked) this.lock();
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } });
    } catch (e) {
      this.reset();
      toast(e && e.name === 'NotAllowedError' ? t('voice.denied') : t('voice.noMic'), 'error');
      return;
    }
    if (this.state === 'idle') { stream.getTracks().forEach((tr) => tr.stop()); return; } // cancelled meanwhile
    this.stream = stream;
    this.type = recordingType();
    this.chunks = [];
    this.samples = [];
    this.rec = new MediaRecorder(stream, { mimeType: this.type, audioBitsPerSecond: 32000 });
    this.rec.ondataavailable = (e) => { if (e.data && e.data.size) this.chunks.push(e.data); };
    this.rec.start(250);
    this.startedAt = performance.now();
    try {
      this.ac = new AudioContext();
      const analyser = this.ac.createAnalyser();
      analyser.fftSize = 1024;
      this.ac.createMediaStreamSource(stream).connect(analyser);
      this.ac.resume().catch(() => {});
      this.frame = new Float32Array(analyser.fftSize);
      this.analyser = analyser;
    } catch { this.analyser = null; }
    this.tick = setInterval(() => this.sample(), 100);
    const wasLocked = this.state === 'starting-locked';
    this.state = wasLocked ? 'locked' : 'holding';
    this.button.classList.add('on');
  }

  sample() {
    const ms = performance.now() - this.startedAt;
    if (this.analyser) {
      this.analyser.getFloatTimeDomainData(this.frame);
      this.samples.push(rms(this.frame));
    } else this.samples.push(0.5);
    this.timer.textContent = clock(ms / 1000);
    const last = this.samples.slice(-64); // the last 6.4 s, newest at the end
    replace(this.levels, waveSVG(last.map((x) => Math.min(100, Math.round(x * 400))), false)); // absolute: silence stays low
    if (ms >= MAX_MS) this.stop(true);
  }

  // stop ends the recording and sends it (send) or drops it.
  async stop(send) {
    if (this.state === 'starting' || this.state === 'starting-locked') {
      // The microphone has not answered yet: stop as soon as it does.
      if (!send) return this.cancel();
      await new Promise((r) => setTimeout(r, 100));
      return this.stop(send);
    }
    if (this.state !== 'holding' && this.state !== 'locked') return;
    this.state = 'stopping';
    clearInterval(this.tick);
    const durationMs = Math.round(performance.now() - this.startedAt); // what was recorded, not the wait for the file
    const rec = this.rec;
    const stopped = new Promise((r) => { rec.onstop = r; });
    if (rec.state !== 'inactive') rec.stop();
    await stopped;
    const blob = new Blob(this.chunks, { type: rec.mimeType || this.type });
    const waveform = resample(this.samples);
    this.reset();
    if (!send || durationMs < MIN_MS || !blob.size) {
      if (send) toast(t('voice.tooShort'));
      return;
    }
    try {
      await this.onSend(blob, { duration_ms: durationMs, waveform });
    } catch (e) {
      toast(errorText(e), 'error');
    }
  }

  cancel() {
    if (this.state === 'idle') return;
    const rec = this.rec;
    if (rec && rec.state !== 'inactive') { rec.onstop = null; rec.stop(); }
    this.reset();
  }

  reset() {
    clearInterval(this.tick);
    if (this.stream) this.stream.getTracks().forEach((tr) => tr.stop());
    if (this.ac) this.ac.close().catch(() => {});
    this.stream = null;
    this.ac = null;
    this.rec = null;
    this.analyser = null;
    this.state = 'idle';
    this.button.classList.remove('on');
    this.panel.classList.remove('locked');
    this.timer.textContent = '0:00';
    replace(this.levels);
    this.show(false);
  }

  show(on) {
    this.panel.classList.toggle('hidden', !on);
    this.onState(on);
  }
}

// extension names a recorded file after its container.
export function extension(type) {
  if (type.startsWith('audio/ogg')) return 'ogg';
  if (type.startsWith('audio/webm')) return 'webm';
  if (type.startsWith('audio/mp4')) return 'm4a';
  return 'audio';
}

// sendVoiceNote uploads blob to chat and sends it as a voice note.
export async function sendVoiceNote(core, chat, blob, voice, extra = {}) {
  const media = await core.upload(chat, blob);
  return core.send(chat, 'message', '', {
    text: '', ...extra, media_id: media.id, media_type: media.content_type,
    filename: 'voice-note.' + extension(blob.type), voice, media_key: media.media_key, media_sha256: media.media_sha256,
  });
}

// ---- playing ----

let playing = null; // the audio element playing now: one note at a time
let speed = 1; // the speed chosen last applies to the next note

// voicePlayer renders a voice note (or any audio attachment) of message m.
export function voicePlayer(core, m) {
  const voice = m.voice || {};
  const audio = h('audio.voice-audio', { preload: 'metadata' });
  let duration = voice.duration_ms ? voice.duration_ms / 1000 : 0;
  const playBtn = h('button.icon-btn.voice-play', { type: 'button', 'aria-label': t('voice.play'), disabled: true }, icon('play'));
  const time = h('span.voice-time.muted', clock(duration));
  const speedBtn = h('button.voice-speed', { type: 'button', 'aria-label': t('voice.speed', { speed: fmtSpeed(speed) }) }, fmtSpeed(speed));
  const wave = h('div.voice-wave', { role: 'slider', tabindex: '0', 'aria-label': t('voice.position'),
    'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': '0', 'aria-valuetext': clock(0) });
  const el = h('div.voice', { role: 'group', 'aria-label': t('voice.note'), 'data-duration-ms': voice.duration_ms || 0, 'data-type': m.media_type || '' },
    playBtn, h('div.voice-body', wave, h('div.voice-under', time, speedBtn)), audio);
  let bars = [];
  let started = false; // played or sought since the last end: the time shows the position, else the length
  const draw = (b) => {
    bars = b;
    replace(wave, waveSVG(b));
    el.dataset.bars = String(b.length);
    progress();
  };
  const length = () => (Number.isFinite(audio.duration) && audio.duration > 0 ? audio.duration : duration);
  const progress = () => {
    const d = length();
    const frac = d ? Math.min(1, audio.currentTime / d) : 0;
    const lit = Math.round(frac * bars.length);
    wave.querySelectorAll('rect').forEach((r, i) => r.classList.toggle('played', i < lit));
    wave.setAttribute('aria-valuenow', String(Math.round(frac * 100)));
    wave.setAttribute('aria-valuetext', clock(audio.currentTime));
    time.textContent = started ? clock(audio.currentTime) : clock(d);
  };
  const seek = (frac) => {
    const d = length();
    if (!d) return;
    audio.currentTime = Math.max(0, Math.min(d, frac * d));
    started = true;
    progress();
  };
  draw(Array.isArray(voice.waveform) && voice.waveform.length ? voice.waveform : new Array(BARS).fill(8));

  playBtn.addEventListener('click', () => {
    if (audio.paused) {
      if (playing && playing !== audio) playing.pause();
      playing = audio;
      audio.playbackRate = speed;
      audio.play().catch((e) => toast(e.message, 'error'));
    } else audio.pause();
  });
  speedBtn.addEventListener('click', () => {
    speed = SPEEDS[(SPEEDS.indexOf(audio.playbackRate) + 1) % SPEEDS.length] || 1;
    audio.playbackRate = speed;
    speedBtn.textContent = fmtSpeed(speed);
    speedBtn.setAttribute('aria-label', t('voice.speed', { speed: fmtSpeed(speed) }));
  });
  wave.addEventListener('click', (ev) => {
    const box = wave.getBoundingClientRect();
    const x = document.documentElement.dir === 'rtl' ? box.right - ev.clientX : ev.clientX - box.left;
    seek(x / box.width);
  });
  wave.addEventListener('keydown', (ev) => {
    const d = length();
    if (!d) return;
    const step = 5 / d;
    const back = document.documentElement.dir === 'rtl' ? 'ArrowRight' : 'ArrowLeft';
    const fwd = document.documentElement.dir === 'rtl' ? 'ArrowLeft' : 'ArrowRight';
    if (ev.key === fwd) seek(audio.currentTime / d + step);
    else if (ev.key === back) seek(audio.currentTime / d - step);
    else if (ev.key === 'Home') seek(0);
    else if (ev.key === 'End') seek(1);
    else return;
    ev.preventDefault();
  });
  const setPlaying = (on) => {
    replace(playBtn, icon(on ? 'pause' : 'play'));
    playBtn.setAttribute('aria-label', on ? t('voice.pause') : t('voice.play'));
    el.classList.toggle('playing', on);
  };
  audio.addEventListener('play', () => { started = true; setPlaying(true); });
  audio.addEventListener('pause', () => setPlaying(false));
  audio.addEventListener('ended', () => { started = false; setPlaying(false); audio.currentTime = 0; progress(); });
  audio.addEventListener('timeupdate', progress);
  audio.addEventListener('loadedmetadata', () => {
    // A recording's WebM has no duration in its header (Infinity): seek
    // far past the end once, and the browser finds it.
    if (audio.duration === Infinity) {
      const found = () => {
        if (!Number.isFinite(audio.duration)) return;
        audio.removeEventListener('durationchange', found);
        audio.currentTime = 0;
        duration = audio.duration;
        progress();
      };
      audio.addEventListener('durationchange', found);
      audio.currentTime = 1e101;
    } else if (Number.isFinite(audio.duration)) {
      duration = audio.duration;
      progress();
    }
    playBtn.disabled = false;
  });

  core.mediaURL(m.media_id, '', m).then((url) => {
    audio.src = url;
    if (!voice.waveform) computeWaveform(core, m).then(draw).catch(() => {});
  }).catch(() => { replace(el, h('span.muted', t('mediaGone'))); });
  return el;
}

function fmtSpeed(s) { return (s === 1.5 ? '1.5' : String(s)) + '×'; }

// computeWaveform decodes an audio attachment (Web Audio API) and measures
// its loudness in BARS slices.
async function computeWaveform(core, m) {
  const buf = await (await core.mediaBlob(m.media_id, '', m)).arrayBuffer();
  const ctx = new OfflineAudioContext(1, 1, 48000);
  const audio = await ctx.decodeAudioData(buf);
  const data = audio.getChannelData(0);
  const slice = Math.max(1, Math.floor(data.length / (BARS * 4)));
  const levels = [];
  for (let i = 0; i + slice <= data.length; i += slice) levels.push(rms(data.subarray(i, i + slice)));
  return resample(levels);
}
