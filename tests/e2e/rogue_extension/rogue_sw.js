// Another extension installed beside Scout. tests/e2e/forged.test.mjs drives it through `evaluate`: everything it
// tries (messages, ports, scripts in pages) is sent from here, so this file only has to exist and stay alive.
self.addEventListener('install', () => self.skipWaiting());
