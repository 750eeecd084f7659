// The counter's QR scanner: the camera (getUserMedia) and jsQR, a maintained decoder from npm
// (vendor/jsQR.js, built by services/intake/fieldapp-build). The decoder is loaded only when a
// volunteer first taps Scan, so the app's first load stays small.
const DECODER = "/app/vendor/jsQR.js";
let decoder = null;
let running = null;

function loadDecoder() {
  decoder ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = DECODER;
    script.onload = () => resolve(window.jsQR);
    script.onerror = () => { decoder = null; reject(new Error("the QR decoder did not load")); };
    document.head.append(script);
  });
  return decoder;
}

// Reads frames from `video` until one holds a QR code; resolves to its text, or to null when
// stopped. Frames are read about ten times a second: enough for a slip held still.
export async function scan(video) {
  stop();
  const jsQR = await loadDecoder();
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { facingMode: "environment" }, audio: false,
  });
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  video.srcObject = stream;
  await video.play();
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (!video.videoWidth) return;
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      context.drawImage(video, 0, 0);
      const frame = context.getImageData(0, 0, canvas.width, canvas.height);
      const found = jsQR(frame.data, frame.width, frame.height, { inversionAttempts: "dontInvert" });
      if (found?.data) finish(found.data);
    }, 100);
    running = finish;
    function finish(text) {
      clearInterval(timer);
      for (const track of stream.getTracks()) track.stop();
      video.srcObject = null;
      running = null;
      resolve(text);
    }
  });
}

export function stop() {
  running?.(null);
}
