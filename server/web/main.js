// Fitroom's store client: three.js scene of the store, shoppers moving smoothly, try-on results on
// your avatar, and WebXR. Speaks docs/protocol.md over ws(s)://<host>/ws.
import * as THREE from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import { GLTFLoader } from 'three/addons/loaders/GLTFLoader.js';
import { VRButton } from 'three/addons/webxr/VRButton.js';
import { Reflector } from 'three/addons/objects/Reflector.js';

const PROTOCOL = 1;
const KEYFRAME = 2;
const INTERPOLATION_DELAY_MS = 100;
const WALK_SPEED = 1.4; // m/s
const params = new URLSearchParams(location.search);

// What tests and curious people can look at: window.fitroom
const state = window.fitroom = {
  connected: false, you: null, products: new Map(), shoppers: new Map(), bySlot: new Map(),
  frames: 0, keyframes: 0, cart: [], recommendations: [], tryOn: null, tryOnPending: false, selected: null, chosenSize: null,
  errors: [], messages: [], renders: 0, labels: [], pendingPhoto: null,
};
let invalidated = true;
function invalidate() { invalidated = true; }

// --- scene --------------------------------------------------------------------------------------
const renderer = new THREE.WebGLRenderer({ antialias: true });
renderer.setPixelRatio(Math.min(devicePixelRatio, 2));
renderer.setSize(innerWidth, innerHeight);
renderer.xr.enabled = true;
document.getElementById('scene').appendChild(renderer.domElement);
// the Enter VR button only where a headset can be used (it said "VR NOT SUPPORTED" in everyone's way)
navigator.xr?.isSessionSupported('immersive-vr').then((ok) => { if (ok) document.body.appendChild(VRButton.createButton(renderer)); })
  .catch(() => {});

const scene = new THREE.Scene();
scene.background = new THREE.Color(0xe9e6e1);
const camera = new THREE.PerspectiveCamera(55, innerWidth / innerHeight, 0.05, 100);
const dolly = new THREE.Group(); // carries the camera in VR, to where your avatar stands
dolly.add(camera);
scene.add(dolly);
camera.position.set(0, 2.2, 9);
const controls = new OrbitControls(camera, renderer.domElement);
controls.target.set(0, 1.1, 5);
controls.maxPolarAngle = Math.PI * 0.49;
scene.add(new THREE.HemisphereLight(0xffffff, 0x8d7c6a, 1.6));
const sun = new THREE.DirectionalLight(0xffffff, 1.6);
sun.position.set(4, 8, 6);
scene.add(sun);

const pickables = [];
const obstacles = []; // racks, walls, fitting rooms and garments: what may stand between the camera and you
const loader = new GLTFLoader();
let floor = null;

function box(w, h, d, color, x, y, z) {
  const mesh = new THREE.Mesh(new THREE.BoxGeometry(w, h, d), new THREE.MeshStandardMaterial({ color, roughness: 0.8 }));
  mesh.position.set(x, y, z);
  return mesh;
}

const RACK_NAMES = { tee: 'T-shirts', longsleeve: 'Shirts', jacket: 'Jackets', dress: 'Dresses', trousers: 'Trousers',
                     skirt: 'Skirts' };

function buildStore(store) {
  const { width_m: W, depth_m: D } = store.floor;
  const H = store.wall_height_m;
  floor = new THREE.Mesh(new THREE.PlaneGeometry(W, D), new THREE.MeshStandardMaterial({ color: 0xcdb89a, roughness: 0.9 }));
  floor.rotation.x = -Math.PI / 2;
  floor.name = 'floor';
  scene.add(floor);
  const walls = [box(W, H, 0.1, 0xf4f1ec, 0, H / 2, -D / 2), box(0.1, H, D, 0xf4f1ec, -W / 2, H / 2, 0),
                 box(0.1, H, D, 0xf4f1ec, W / 2, H / 2, 0)];
  scene.add(...walls);
  obstacles.push(...walls);
  for (const rack of store.racks) {
    const group = new THREE.Group();
    group.position.set(rack.position[0], 0, rack.position[1]);
    group.rotation.y = THREE.MathUtils.degToRad(rack.heading_deg);
    group.add(box(rack.length_m, 0.03, 0.03, 0x555555, 0, 1.7, 0),
              box(0.04, 1.7, 0.04, 0x555555, -rack.length_m / 2, 0.85, 0), box(0.04, 1.7, 0.04, 0x555555, rack.length_m / 2, 0.85, 0));
    const sign = textPlane(`${rack.gender === 'women' ? "Women's" : "Men's"} ${RACK_NAMES[rack.category] || rack.category}`,
                           0.9, 0.16, { background: '#1f2f5cee', colour: '#ffffff', size: 44 });
    sign.position.set(0, 2.0, 0);
    const back = sign.clone();
    back.rotation.y = Math.PI;
    group.add(sign, back);
    // the rack and its garments as one solid for sightlines (drawn by nothing: the gaps between hangers
    // are too narrow to see a body through)
    const volume = new THREE.Mesh(new THREE.BoxGeometry(rack.length_m + 0.2, 1.9, 0.6), new THREE.MeshBasicMaterial({ visible: false }));
    volume.position.y = 0.95;
    group.add(volume);
    group.name = rack.id;
    scene.add(group);
    group.updateMatrixWorld(true);
    obstacles.push(volume);
  }
  for (const room of store.fitting_rooms) {
    const panels = [box(1.4, 2.2, 0.05, 0x7a5c8e, room.position[0], 1.1, room.position[1] + 0.7),
                    box(0.05, 2.2, 1.4, 0xdedad4, room.position[0] - 0.7, 1.1, room.position[1]),
                    box(0.05, 2.2, 1.4, 0xdedad4, room.position[0] + 0.7, 1.1, room.position[1])];
    scene.add(...panels);
    obstacles.push(...panels);
  }
  for (const mirror of store.mirrors) {
    const glass = new Reflector(new THREE.PlaneGeometry(mirror.width_m, 2.0), {
      textureWidth: 256, textureHeight: 256, color: 0xb8c4cc });
    glass.position.set(mirror.position[0], 1.1, mirror.position[1] + 0.02);
    glass.rotation.y = THREE.MathUtils.degToRad(mirror.heading_deg);
    scene.add(glass);
  }
}

const fabrics = new Map();
function fabric(product) { // the catalogue's pattern in its two colours: stripes, checks, a print, or plain
  const [main, accent] = [product.hex, product.accent_hex || '#ffffff'];
  const key = `${product.pattern}|${main}|${accent}`;
  if (fabrics.has(key)) return fabrics.get(key);
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 64;
  const g = canvas.getContext('2d');
  g.fillStyle = main; g.fillRect(0, 0, 64, 64);
  g.fillStyle = accent;
  if (product.pattern === 'stripe') for (let y = 0; y < 64; y += 16) g.fillRect(0, y, 64, 5);
  if (product.pattern === 'check') {
    g.globalAlpha = 0.55;
    for (let t = 0; t < 64; t += 16) { g.fillRect(t, 0, 5, 64); g.fillRect(0, t, 64, 5); }
  }
  if (product.pattern === 'print') for (const [x, y] of [[10, 10], [42, 18], [22, 40], [52, 50], [6, 56]]) {
    g.beginPath(); g.arc(x, y, 5, 0, 2 * Math.PI); g.fill();
  }
  const texture = !product.pattern || product.pattern === 'solid' ? null : new THREE.CanvasTexture(canvas);
  if (texture) { texture.colorSpace = THREE.SRGBColorSpace; texture.wrapS = texture.wrapT = THREE.RepeatWrapping; texture.repeat.set(2, 3); }
  fabrics.set(key, texture);
  return texture;
}

function productMesh(product) {
  const plain = !product.pattern || product.pattern === 'solid';
  const mesh = box(0.42, 0.6, 0.04, new THREE.Color(plain ? product.hex : '#ffffff'),
                   ...product.placement.position);
  const pattern = fabric(product);
  if (pattern) mesh.material.map = pattern;
  mesh.position.y -= 0.05;
  mesh.rotation.y = Math.PI / 2;
  mesh.userData.productId = product.id;
  mesh.name = product.id;
  return mesh;
}

// --- shoppers -----------------------------------------------------------------------------------
function nameLabel(text) {
  const canvas = document.createElement('canvas');
  canvas.width = 256; canvas.height = 48;
  const g = canvas.getContext('2d');
  g.fillStyle = '#ffffffd0'; g.fillRect(0, 0, 256, 48);
  g.fillStyle = '#222'; g.font = '26px system-ui'; g.textAlign = 'center'; g.fillText(text, 128, 33);
  // occluded by walls and racks, small, and faded by distance each frame (fadeLabels)
  const sprite = new THREE.Sprite(new THREE.SpriteMaterial({ map: new THREE.CanvasTexture(canvas), transparent: true }));
  sprite.scale.set(0.5, 0.094, 1);
  return sprite;
}

function mannequin(shopper) {
  const height = (shopper.stature || 170) / 100;
  const colour = shopper.sex === 'female' ? 0xc98f7a : shopper.sex === 'male' ? 0x8f7a6a : 0xa89888;
  const material = new THREE.MeshStandardMaterial({ color: colour, roughness: 0.7 });
  const group = new THREE.Group();
  const body = new THREE.Mesh(new THREE.CapsuleGeometry(0.17 * height / 1.7, height - 0.62, 6, 12), material);
  body.position.y = (height - 0.25) / 2;
  const head = new THREE.Mesh(new THREE.SphereGeometry(0.11, 16, 12), material);
  head.position.y = height - 0.12;
  const nose = new THREE.Mesh(new THREE.ConeGeometry(0.03, 0.08, 8), material); // shows where they face
  nose.rotation.x = Math.PI / 2;
  nose.position.set(0, height - 0.12, 0.12);
  group.add(body, head, nose);
  group.name = 'mannequin';
  return group;
}

function addShopper(s) {
  removeShopper(s.id);
  const node = new THREE.Group();
  node.name = `shopper-${s.id}`;
  node.add(mannequin(s));
  const label = nameLabel(s.name);
  label.position.y = (s.stature || 170) / 100 + 0.2;
  label.visible = !(state.you && s.id === state.you.shopper_id); // not your own name over your own head
  node.add(label);
  node.position.set(s.x, 0, s.z);
  node.rotation.y = THREE.MathUtils.degToRad(s.heading);
  scene.add(node);
  const entry = { ...s, node, label, samples: [{ at: performance.now(), x: s.x, z: s.z, h: s.heading }] };
  state.shoppers.set(s.id, entry);
  state.bySlot.set(s.slot, entry);
  if (s.wearing && s.wearing.garment_url) dress(entry, s.wearing.garment_url);
  else if (s.avatar_url) embody(entry, s.avatar_url);
  updateCount();
  return entry;
}

function removeShopper(id) {
  const s = state.shoppers.get(id);
  if (!s) return;
  scene.remove(s.node);
  state.shoppers.delete(id);
  if (state.bySlot.get(s.slot) === s) state.bySlot.delete(s.slot);
  updateCount();
}

function loadInto(shopper, url, name) {
  // a GLB in the avatar frame (feet at y = 0, facing +z) becomes a child of the shopper's node
  return new Promise((resolve, reject) => loader.load(url, (gltf) => {
    const old = shopper.node.getObjectByName(name);
    if (old) shopper.node.remove(old);
    gltf.scene.name = name;
    shopper.node.add(gltf.scene);
    invalidate();
    resolve(gltf.scene);
  }, undefined, reject));
}

async function embody(shopper, url) {
  // the shopper's own body replaces the capsule, unless a try-on (which carries the body) is shown
  const body = await loadInto(shopper, url, 'avatar');
  body.visible = !shopper.node.getObjectByName('tryon');
  shopper.node.getObjectByName('mannequin').visible = false;
}

function dress(shopper, url) {
  // the try-on GLB holds the shopper's own body ("body") and the draped garment ("garment")
  return loadInto(shopper, url, 'tryon').then((scene) => {
    shopper.node.getObjectByName('mannequin').visible = false;
    const body = shopper.node.getObjectByName('avatar');
    if (body) body.visible = false;
    return scene;
  });
}

function updateCount() {
  document.getElementById('count').textContent = `· ${state.shoppers.size} in the store`;
}

const LABEL_NEAR_M = 1.2, LABEL_FAR_M = 12; // closer than this a tag would cover the view; farther, clutter
const MAX_LABELS = 8; // the nearest few; a crowd's names are clutter
const labelAt = new THREE.Vector3(), labelEdge = new THREE.Vector3(), cameraRight = new THREE.Vector3(), cameraUp = new THREE.Vector3();

function labelRect(label) { // the tag's box on screen in pixels, or null when behind the camera
  label.getWorldPosition(labelAt);
  const centre = labelAt.clone().project(camera);
  if (centre.z > 1) return null;
  const toScreen = (v) => [(v.x + 1) / 2 * innerWidth, (1 - v.y) / 2 * innerHeight];
  const [x, y] = toScreen(centre);
  const [right] = toScreen(labelEdge.copy(labelAt).addScaledVector(cameraRight, label.scale.x / 2).project(camera));
  const [, top] = toScreen(labelEdge.copy(labelAt).addScaledVector(cameraUp, label.scale.y / 2).project(camera));
  const halfWidth = Math.abs(right - x), halfHeight = Math.abs(y - top);
  return { x0: x - halfWidth, y0: y - halfHeight, x1: x + halfWidth, y1: y + halfHeight };
}

// Name tags: faded in past arm's length and out with distance, at most MAX_LABELS, the nearer kept where two
// would overlap; the placed boxes are kept in state.labels (the tests measure their share of the screen).
function fadeLabels() {
  const eye = camera.getWorldPosition(new THREE.Vector3());
  cameraRight.setFromMatrixColumn(camera.matrixWorld, 0);
  cameraUp.setFromMatrixColumn(camera.matrixWorld, 1);
  const candidates = [];
  for (const s of state.shoppers.values()) {
    if (!s.label || (state.you && s.id === state.you.shopper_id)) continue;
    const d = s.label.getWorldPosition(labelAt).distanceTo(eye);
    const opacity = Math.max(0, Math.min(1, (d - LABEL_NEAR_M) / 0.8, (LABEL_FAR_M - d) / 4));
    s.label.visible = false;
    if (opacity > 0.02) candidates.push({ s, d, opacity });
  }
  candidates.sort((a, b) => a.d - b.d);
  const placed = [];
  for (const { s, opacity } of candidates) {
    if (placed.length >= MAX_LABELS) break;
    const box = labelRect(s.label);
    if (!box || placed.some((p) => box.x0 < p.x1 && p.x0 < box.x1 && box.y0 < p.y1 && p.y0 < box.y1)) continue;
    s.label.visible = true;
    s.label.material.opacity = opacity;
    placed.push({ id: s.id, ...box });
  }
  state.labels = placed;
}

function shortestAngle(a, b) { return ((b - a + 540) % 360) - 180; }

function interpolate(now) { // true when someone moved
  const renderAt = now - INTERPOLATION_DELAY_MS;
  let moved = false;
  for (const s of state.shoppers.values()) {
    if (state.you && s.id === state.you.shopper_id) continue;
    const samples = s.samples;
    while (samples.length > 2 && samples[1].at <= renderAt) samples.shift();
    let x = samples[0].x, z = samples[0].z, h = samples[0].h;
    if (samples.length > 1 && renderAt > samples[0].at) {
      const [a, b] = samples;
      const t = Math.min(1, (renderAt - a.at) / Math.max(1, b.at - a.at));
      x = a.x + (b.x - a.x) * t; z = a.z + (b.z - a.z) * t; h = a.h + shortestAngle(a.h, b.h) * t;
    }
    moved ||= Math.abs(x - s.x) + Math.abs(z - s.z) + Math.abs(h - s.heading) > 1e-4;
    s.node.position.set(x, 0, z);
    s.node.rotation.y = THREE.MathUtils.degToRad(h);
    s.x = x; s.z = z; s.heading = h;
  }
  return moved;
}

function decodeFrame(buffer) {
  const view = new DataView(buffer);
  const kind = view.getUint8(0), version = view.getUint8(1), count = view.getUint16(2, true);
  const tick = view.getUint32(4, true), sentAt = view.getFloat64(8, true);
  if (version !== PROTOCOL) throw new Error(`frame of protocol ${version}`);
  const entries = [];
  for (let i = 0, off = 16; i < count; i++, off += 8) {
    entries.push([view.getUint16(off, true), view.getInt16(off + 2, true) / 100, view.getInt16(off + 4, true) / 100,
                  view.getInt16(off + 6, true) / 100]);
  }
  return { kind, tick, sentAt, entries };
}

function applyFrame(buffer) {
  const frame = decodeFrame(buffer);
  const now = performance.now();
  state.frames++;
  if (frame.kind === KEYFRAME) state.keyframes++;
  state.lastFrameLatencyMs = Date.now() - frame.sentAt * 1000;
  for (const [slot, x, z, h] of frame.entries) {
    const s = state.bySlot.get(slot);
    if (!s || (state.you && s.id === state.you.shopper_id)) continue;
    s.samples.push({ at: now, x, z, h });
    if (s.samples.length > 30) s.samples.shift();
  }
}

// --- connection -----------------------------------------------------------------------------------
let socket = null;
function send(message) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}
state.send = send;

function joinMessage(saved) {
  const join = { type: 'join', protocol: PROTOCOL, name: params.get('name') || undefined };
  if (saved && !params.has('fresh')) Object.assign(join, saved);
  const body = params.get('body');
  if (body && !join.shopper_id) join.measurements = JSON.parse(body);
  return join;
}

function connect() {
  socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
  socket.binaryType = 'arraybuffer';
  socket.onopen = () => send(joinMessage(JSON.parse(localStorage.getItem('fitroom-shopper') || 'null')));
  socket.onmessage = (event) => {
    if (event.data instanceof ArrayBuffer) applyFrame(event.data);
    else handle(JSON.parse(event.data));
  };
  socket.onclose = (event) => {
    state.connected = false;
    document.getElementById('connection').textContent = `disconnected (${event.code}); retrying…`;
    setTimeout(connect, 2000);
  };
}

let sayTimer = null;
function say(text, isError = false) { // a toast above the footer: always in view, gone after a while
  const p = document.getElementById('message');
  p.textContent = text;
  p.className = isError ? 'error' : '';
  clearTimeout(sayTimer);
  sayTimer = setTimeout(() => { p.textContent = ''; }, isError ? 8000 : 5000);
}

const handlers = {
  snapshot(m) {
    state.connected = true;
    state.you = m.you;
    if (m.you.secret) localStorage.setItem('fitroom-shopper', JSON.stringify({ shopper_id: m.you.shopper_id, secret: m.you.secret }));
    state.store = m.store;
    if (!floor) buildStore(m.store);
    for (const p of m.products) {
      if (!state.products.has(p.id) && p.placement) {
        const mesh = productMesh(p);
        scene.add(mesh);
        pickables.push(mesh);
        obstacles.push(mesh);
      }
      state.products.set(p.id, p);
    }
    for (const s of [...state.shoppers.keys()]) removeShopper(s);
    for (const s of m.shoppers) addShopper(s);
    state.cart = m.cart;
    renderCart();
    document.getElementById('connection').textContent = `connected as ${me().name}`;
    const you = me();
    state.lookAt(you.x, 1.2, you.z - 2, you.x, 2.0, you.z + 3.2); // behind you, looking into the store
    send({ type: 'recommend', k: 6 });
    send({ type: 'persona' });
    const mine = m.shoppers.find((s) => s.id === m.you.shopper_id);
    fillBodyForm({ stature: mine.stature, sex: mine.sex });
  },
  shopper_joined(m) { addShopper(m.shopper); },
  shopper_left(m) { removeShopper(m.id); },
  shopper(m) {
    const s = state.shoppers.get(m.id);
    if (!s) return;
    if ('holding' in m) s.holding = m.holding;
    if (m.wearing) { s.wearing = m.wearing; dress(s, m.wearing.garment_url); }
    if (m.avatar_url) { s.avatar_url = m.avatar_url; embody(s, m.avatar_url); }
  },
  product(m) {
    state.products.set(m.product.id, m.product);
    showProduct(m.product.id);
    send({ type: 'recommend', k: 6 }); // what you pick changes what suits you
  },
  size_advice(m) {
    const regions = Object.entries(m.regions || {}).map(([region, r]) =>
      `${r.verdict} at the ${region.replace('_', ' ')} (${Math.abs(r.ease_cm).toFixed(0)} cm ${r.ease_cm >= 0 ? 'to spare' : 'short'})`).join(', ');
    document.getElementById('advice').textContent = m.size ? `Your size: ${m.size}. ${m.reason.replace(/^\S+: /, '')}${regions ? `. Elsewhere: ${regions}` : ''}` : m.reason;
    if (m.size) chooseSize(m.size);
  },
  size_chosen(m) { if (!m.in_stock) say(`${m.size} is sold out`, true); },
  try_on_progress(m) {
    document.getElementById('fit').hidden = false;
    for (const b of document.querySelectorAll('#fit button[data-verdict]')) b.disabled = true; // until there is a result
    document.getElementById('fit-progress').textContent =
      `Trying on ${m.size}: ${m.stage}${m.position ? ` (number ${m.position} in the queue)` : ''}` +
      `${m.eta_s ? `, about ${Math.max(1, Math.round(m.eta_s))} s` : ''}…`;
  },
  async try_on_result(m) {
    state.tryOn = m;
    state.tryOnPending = false;
    const you = me();
    you.wearing = { product: m.product, size: m.size, garment_url: m.garment_url };
    await dress(you, m.garment_url);
    document.getElementById('fit-progress').textContent = m.fit.summary;
    const rows = Object.entries(m.fit.regions).map(([region, r]) =>
      `<tr><td>${region.replace('_', ' ')}</td><td>${r.ease_cm === null ? '' : `${r.ease_cm > 0 ? '+' : ''}${r.ease_cm} cm`}` +
      `${r.over_head_cm === undefined ? '' : ` (${r.over_head_cm > 0 ? '+' : ''}${r.over_head_cm} cm round the head, pulled on)`}</td>` +
      `<td>${r.strain_pct}%</td><td class="${r.verdict}">${r.verdict}</td></tr>`);
    document.getElementById('fit-regions').innerHTML = '<tr><th>region</th><th>ease</th><th>strain</th><th></th></tr>' + rows.join('');
    const map = document.getElementById('fit-map');
    map.hidden = true; // no broken-image icon while it loads
    map.onload = () => { map.hidden = false; };
    map.src = m.fit_map_url;
    for (const b of document.querySelectorAll('#fit button[data-verdict]')) b.disabled = false;
    document.getElementById('heatmap').checked = false;
    state.tryOnShown = true;
    lookAtMe();
  },
  feedback_saved() { say('Thanks: your fit feedback makes the next size advice better.'); },
  cart(m) { state.cart = m.lines; renderCart(); },
  order(m) { say(`Order ${m.id} placed: ${m.total.toFixed(2)} EUR`); state.lastOrder = m; },
  stock(m) {
    const p = state.products.get(m.product);
    if (p) p.stock = m.stock;
    if (state.selected === m.product) showProduct(m.product);
  },
  price(m) {  // a price rule or an operator moved a price (never above list)
    const p = state.products.get(m.product);
    if (!p) return;
    p.price = m.price;
    p.list_price = m.list_price;
    if (state.selected === m.product) showProduct(m.product);
  },
  upload_ready(m) {
    if (!state.pendingPhoto) return;
    const bytes = state.pendingPhoto;
    state.pendingPhoto = null;
    sendChunks(m.upload, m.chunks, m.chunk_bytes, bytes);
  },
  upload_progress(m) {
    if (m.stage === 'measuring') say('Measuring your photo…');
  },
  body_updated(m) {
    fillBodyForm(m.measurements);
    document.getElementById('body-photo').value = '';
    const words = (keys) => keys.filter((key) => !['weight', 'age'].includes(key)).map((key) => key.replace(/_/g, ' '));
    const shown = words(m.filled), photo = words(m.from_photo || []);
    const list = (keys) => `${keys.slice(0, 6).join(', ')}${keys.length > 6 ? ` and ${keys.length - 6} more` : ''}`;
    document.getElementById('body-filled').textContent = [
      photo.length ? `From your photo: ${list(photo)}.` : '',
      shown.length ? `Filled from people of your height and sex: ${list(shown)}.` : 'Every measurement is yours.'].join(' ').trim();
    say('Your body is updated; your avatar follows in a moment.');
    if (state.selected) send({ type: 'ask_size', product: state.selected }); // the advice follows the body
  },
  persona(m) {
    const p = m.persona;
    const top = (values) => Object.keys(values)[0];
    document.getElementById('persona-summary').textContent = p.events < 3
      ? 'Not enough yet: look around and the store learns your taste.'
      : `${p.segment} · mostly ${top(p.categories)}, ${top(p.colours)}, ${top(p.styles)} · around ` +
        `${p.typical_price.toFixed(0)} EUR (${p.events} things you did)`;
  },
  forgotten(m) {
    localStorage.removeItem('fitroom-shopper');
    say(`Your data is deleted (${Object.values(m.deleted).reduce((a, b) => a + b, 0)} records); orders stay, anonymised.`);
  },
  answer(m) {
    state.answer = m;
    highlight([...m.items, ...m.alternatives].map((item) => item.product));
    document.getElementById('guide-message').textContent = m.message;
    renderCards('guide-cards', m.items.length ? m.items : m.alternatives);
    renderCards('outfit-cards', m.outfit);
    document.getElementById('outfit').hidden = !m.outfit.length;
    showAnswerInVR(m);
  },
  recommendations(m) {
    state.recommendations = m.items;
    const list = document.getElementById('recommended');
    list.innerHTML = '';
    for (const item of m.items) {
      const li = document.createElement('li');
      const p = state.products.get(item.product);
      li.append(picture(item.product, 'thumb'), `${p ? p.name : item.product} (${item.size}): ${item.reason}`);
      li.onclick = () => send({ type: 'pick', product: item.product });
      list.appendChild(li);
    }
  },
  pong(m) { state.lastPong = m; },
  error(m) {
    state.errors.push(m);
    state.tryOnPending = false; // whatever failed, nothing is being draped for us that we wait on
    say(`${m.code}: ${m.message}`, true);
    if (!state.connected && m.code === 'rejected') { // a saved shopper the store no longer knows: start afresh
      localStorage.removeItem('fitroom-shopper');
      send(joinMessage(null));
    }
  },
};

// --- the shopping guide ---------------------------------------------------------------------------
const GLOW = new THREE.Color(0xffd54a);
function highlight(ids) { // answers light up on their racks
  const lit = new Set(ids);
  for (const mesh of pickables) mesh.material.emissive.copy(lit.has(mesh.userData.productId) ? GLOW : new THREE.Color(0));
  invalidate();
}

function walkToProduct(id) { // stand in the aisle facing the product, then pick it
  const p = state.products.get(id);
  if (!p || !p.placement) return;
  const [x, , z] = p.placement.position;
  const side = me().z > z ? 1 : -1;
  placeMe(x, z + 0.9 * side, side > 0 ? 0 : 180);
  lookAtMe();
  send({ type: 'pick', product: id });
}

function picture(productId, className) { // the garment sewn from its pattern (server/thumbnails.py); none until drawn
  const img = document.createElement('img');
  img.className = className;
  img.alt = '';
  img.hidden = true; // no broken-image icon while it loads or if it is not drawn yet
  img.onload = () => { img.hidden = false; };
  img.onerror = () => img.remove();
  img.src = `/thumbnails/${encodeURIComponent(productId)}.png`;
  return img;
}

function renderCards(listId, items) {
  const list = document.getElementById(listId);
  list.innerHTML = '';
  for (const item of items) {
    const p = state.products.get(item.product);
    const li = document.createElement('li');
    li.dataset.product = item.product;
    const name = document.createElement('div');
    name.className = 'card-name';
    name.textContent = `${p ? p.name : item.product}${item.size ? ` · ${item.size}` : ''}`;
    const why = document.createElement('div');
    why.className = 'card-why';
    why.textContent = item.reason;
    const go = document.createElement('button');
    go.textContent = 'Walk to it';
    go.className = 'walk-to';
    go.onclick = () => walkToProduct(item.product);
    li.append(picture(item.product, 'thumb'), name, why, go);
    list.appendChild(li);
  }
}

function fillBodyForm(measurements) {
  const form = document.getElementById('body-form');
  for (const input of form.querySelectorAll('input:not([type=file]), select')) {
    const value = measurements[input.name];
    if (value !== undefined && value !== null) input.value = value;
  }
}

document.getElementById('body-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const measurements = {};
  for (const input of e.target.querySelectorAll('input:not([type=file]), select')) {
    if (input.value !== '') measurements[input.name] = input.name === 'sex' ? input.value : Number(input.value);
  }
  const photo = document.getElementById('body-photo').files[0];
  if (!photo) { send({ type: 'update_body', measurements }); return; }
  // a photo: measured by the server for your height and sex (the other fields are left to it)
  photo.arrayBuffer().then((buffer) => {
    state.pendingPhoto = new Uint8Array(buffer);
    send({ type: 'upload_photo', bytes: buffer.byteLength, stature: measurements.stature, sex: measurements.sex });
    say('Sending your photo…');
  });
});

function base64(bytes) { // btoa over a byte array, in slices (a spread of 45 KB of arguments may overflow)
  let text = '';
  for (let i = 0; i < bytes.length; i += 8192) text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return btoa(text);
}

async function sendChunks(upload, chunks, chunkBytes, bytes) { // at most 40 chunks a second (the rate limit)
  for (let index = 0; index < chunks; index++) {
    send({ type: 'upload_chunk', upload, index, data: base64(bytes.subarray(index * chunkBytes, (index + 1) * chunkBytes)) });
    await new Promise((done) => setTimeout(done, 30));
  }
}

document.getElementById('forget-me').addEventListener('click', () => {
  if (confirm('Delete everything the store knows about you? Orders stay, anonymised.')) send({ type: 'forget_me' });
});

document.getElementById('ask-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const text = document.getElementById('ask-text').value.trim();
  if (!text) { say('Type a question first', true); return; }
  document.getElementById('guide-message').textContent = '…';
  send({ type: 'ask', text, k: 5 });
});

function handle(message) {
  state.messages.push(message.type);
  if (state.messages.length > 200) state.messages.shift();
  const handler = handlers[message.type];
  if (handler) handler(message);
  invalidate(); // a message may change what is on screen
}

function me() { return state.you ? state.shoppers.get(state.you.shopper_id) : null; }

// --- panels ---------------------------------------------------------------------------------------
function showProduct(id) {
  const p = state.products.get(id);
  state.selected = id;
  document.getElementById('product').hidden = false;
  document.getElementById('product-name').textContent = p.name;
  document.getElementById('product-picture').replaceChildren(picture(id, 'product-thumb'));
  const marked = p.list_price && p.price < p.list_price ? ` (was ${p.list_price.toFixed(2)})` : '';
  const cut = p.gender === 'women' ? "women's" : "men's";
  document.getElementById('product-meta').textContent =
    `${p.price.toFixed(2)} EUR${marked} · ${cut} · ${p.colours.join(', ')} · ${p.style}`;
  const sizes = document.getElementById('sizes');
  sizes.innerHTML = '';
  for (const [size, count] of Object.entries(p.stock)) {
    const b = document.createElement('button');
    b.textContent = size;
    b.disabled = count === 0;
    b.title = count === 0 ? 'sold out' : `${count} in stock`;
    b.dataset.size = size;
    b.onclick = () => chooseSize(size);
    sizes.appendChild(b);
  }
  if (state.chosenSize && p.stock[state.chosenSize]) chooseSize(state.chosenSize);
}

function chooseSize(size) {
  state.chosenSize = size;
  for (const b of document.querySelectorAll('#sizes button')) b.classList.toggle('chosen', b.dataset.size === size);
  if (state.selected) send({ type: 'choose_size', product: state.selected, size });
}

function renderCart() {
  const list = document.getElementById('cart-lines');
  list.innerHTML = '';
  let total = 0;
  for (const line of state.cart) {
    const li = document.createElement('li');
    const p = state.products.get(line.product);
    li.textContent = `${p ? p.name : line.product}, ${line.size} × ${line.quantity}`;
    list.appendChild(li);
    total += line.price * line.quantity;
  }
  document.getElementById('cart-total').textContent = state.cart.length ? `Total ${total.toFixed(2)} EUR` : 'Empty';
  document.getElementById('buy').disabled = !state.cart.length;
}

document.getElementById('ask-size').onclick = () => send({ type: 'ask_size', product: state.selected });
document.getElementById('try-on').onclick = () => {
  if (!state.chosenSize) return say('Choose a size first (or ask which size fits you)', true);
  send({ type: 'try_on', product: state.selected, size: state.chosenSize });
  state.tryOnPending = true;
};
document.getElementById('add-to-cart').onclick = () => {
  if (!state.chosenSize) return say('Choose a size first', true);
  send({ type: 'cart_add', product: state.selected, size: state.chosenSize });
};
document.getElementById('buy').onclick = () => send({ type: 'buy' });
for (const b of document.querySelectorAll('#fit button[data-verdict]')) {
  b.onclick = () => state.tryOn && send({ type: 'feedback', product: state.tryOn.product, size: state.tryOn.size, verdict: b.dataset.verdict });
}
document.getElementById('heatmap').onchange = (event) => showHeatmap(event.target.checked);

async function showHeatmap(on) {
  const you = me();
  if (!you || !state.tryOn) return;
  const tryon = you.node.getObjectByName('tryon');
  if (!tryon) return;
  let heat = you.node.getObjectByName('heatmap');
  if (on && !heat) {
    heat = (await new Promise((resolve, reject) => loader.load(state.tryOn.heatmap_url, resolve, undefined, reject))).scene;
    heat.name = 'heatmap';
    you.node.add(heat);
    invalidate();
  }
  tryon.getObjectByName('garment').visible = !on;
  if (heat) heat.visible = on;
}

// --- walking, looking, picking --------------------------------------------------------------------
const keys = new Set();
addEventListener('keydown', (e) => { if (!e.target.closest('input, textarea')) keys.add(e.key.toLowerCase()); });
addEventListener('keyup', (e) => keys.delete(e.key.toLowerCase()));
let lastSent = 0, dirty = false;

function walk(dt) {
  const you = me();
  if (!you) return;
  const forward = new THREE.Vector3();
  camera.getWorldDirection(forward);
  forward.y = 0; forward.normalize();
  const right = new THREE.Vector3().crossVectors(forward, new THREE.Vector3(0, 1, 0));
  const move = new THREE.Vector3();
  if (keys.has('w') || keys.has('arrowup')) move.add(forward);
  if (keys.has('s') || keys.has('arrowdown')) move.sub(forward);
  if (keys.has('d') || keys.has('arrowright')) move.add(right);
  if (keys.has('a') || keys.has('arrowleft')) move.sub(right);
  if (move.lengthSq() === 0) return;
  move.normalize().multiplyScalar(WALK_SPEED * dt);
  placeMe(you.x + move.x, you.z + move.z, THREE.MathUtils.radToDeg(Math.atan2(move.x, move.z)));
}

function stepAside(x, z) {
  // the server's rule (store/layout.py): shoppers stay on the floor and out of the racks
  const store = state.store;
  if (!store) return [x, z];
  x = THREE.MathUtils.clamp(x, -store.floor.width_m / 2, store.floor.width_m / 2);
  z = THREE.MathUtils.clamp(z, -store.floor.depth_m / 2, store.floor.depth_m / 2);
  for (const rack of store.racks) {
    const a = THREE.MathUtils.degToRad(rack.heading_deg);
    const along = [Math.cos(a), -Math.sin(a)], across = [Math.sin(a), Math.cos(a)];
    const dx = x - rack.position[0], dz = z - rack.position[1];
    let u = dx * along[0] + dz * along[1], v = dx * across[0] + dz * across[1];
    const hu = rack.length_m / 2 + store.body_radius_m, hv = store.rack_depth_m / 2 + store.body_radius_m;
    if (Math.abs(u) < hu && Math.abs(v) < hv) {
      if (hu - Math.abs(u) < hv - Math.abs(v)) u = Math.sign(u || 1) * hu; else v = Math.sign(v || 1) * hv;
      x = rack.position[0] + u * along[0] + v * across[0];
      z = rack.position[1] + u * along[1] + v * across[1];
    }
  }
  return [x, z];
}

function placeMe(x, z, heading) {
  const you = me();
  [x, z] = stepAside(x, z);
  const dx = x - you.x, dz = z - you.z;
  you.x = x; you.z = z; you.heading = heading;
  you.node.position.set(x, 0, z);
  you.node.rotation.y = THREE.MathUtils.degToRad(heading);
  camera.position.x += dx; camera.position.z += dz;
  controls.target.x += dx; controls.target.z += dz;
  dirty = true;
  invalidate();
}

// Frame yourself (after a try-on): in front of you if nothing stands between, else the nearest clear
// view around you, closer if need be; never through a rack, a wall or a fitting room.
const sightline = new THREE.Raycaster();
function clearView(eye, target) {
  return [0, 0.5].every((up) => { // chest and head
    const to = target.clone().setY(target.y + up);
    const direction = to.clone().sub(eye);
    const distance = direction.length();
    sightline.set(eye, direction.normalize());
    sightline.far = distance - 0.35; // up to your body, not into it
    return sightline.intersectObjects(obstacles, false).length === 0;
  });
}

function lookAtMe() {
  const you = me();
  if (!you) return;
  const chest = new THREE.Vector3(you.x, 1.1, you.z);
  const { width_m: W, depth_m: D } = state.store.floor;
  const base = THREE.MathUtils.degToRad(you.heading);
  let eye = null;
  for (const distance of [2.6, 2.0, 1.5]) {
    for (const turn of [0, 30, -30, 60, -60, 90, -90, 135, -135, 180]) {
      const h = base + THREE.MathUtils.degToRad(turn);
      const candidate = new THREE.Vector3(you.x + distance * Math.sin(h), 1.4, you.z + distance * Math.cos(h));
      if (Math.abs(candidate.x) < W / 2 - 0.3 && Math.abs(candidate.z) < D / 2 - 0.3 && clearView(candidate, chest)) {
        eye = candidate;
        break;
      }
    }
    if (eye) break;
  }
  eye ||= new THREE.Vector3(you.x + 1.5 * Math.sin(base), 1.4, you.z + 1.5 * Math.cos(base));
  controls.target.set(you.x, 1.0, you.z);
  camera.position.copy(eye);
  controls.update();
  invalidate();
}

const raycaster = new THREE.Raycaster();
let downAt = null;
renderer.domElement.addEventListener('pointerdown', (e) => { downAt = [e.clientX, e.clientY]; });
renderer.domElement.addEventListener('pointerup', (e) => {
  if (!downAt || Math.hypot(e.clientX - downAt[0], e.clientY - downAt[1]) > 5) return;
  const pointer = new THREE.Vector2((e.clientX / innerWidth) * 2 - 1, -(e.clientY / innerHeight) * 2 + 1);
  raycaster.setFromCamera(pointer, camera);
  const hit = raycaster.intersectObjects(pickables, false)[0];
  if (hit) send({ type: 'pick', product: hit.object.userData.productId });
});

// VR: the guide on a panel beside you: preset questions to point at, the answer's products to walk to
const PRESETS = ['a summer dress under 80', 'a casual tee, not black', '通勤穿的裤子，不要太贵'];
function textPlane(text, width, height, { background = '#ffffffe8', colour = '#1d1d1f', size = 26 } = {}) {
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(width * 512); canvas.height = Math.round(height * 512);
  const g = canvas.getContext('2d');
  g.fillStyle = background; g.fillRect(0, 0, canvas.width, canvas.height);
  g.fillStyle = colour; g.font = `${size}px system-ui, sans-serif`; g.textBaseline = 'middle';
  g.fillText(text, 12, canvas.height / 2, canvas.width - 24);
  const texture = new THREE.CanvasTexture(canvas);
  texture.colorSpace = THREE.SRGBColorSpace;
  return new THREE.Mesh(new THREE.PlaneGeometry(width, height), new THREE.MeshBasicMaterial({ map: texture, transparent: true }));
}
const vrGuide = new THREE.Group();
vrGuide.position.set(-0.75, 1.25, -1.1);
vrGuide.rotation.y = 0.5;
vrGuide.visible = false;
PRESETS.forEach((question, i) => {
  const button = textPlane(`Ask: ${question}`, 0.7, 0.09, { background: '#1f2f5ce8', colour: '#ffffff', size: 24 });
  button.position.set(0, 0.42 - i * 0.11, 0);
  button.userData.ask = question;
  vrGuide.add(button);
});
dolly.add(vrGuide);
renderer.xr.addEventListener('sessionstart', () => { vrGuide.visible = true; });
renderer.xr.addEventListener('sessionend', () => { vrGuide.visible = false; });
function showAnswerInVR(m) {
  for (const old of vrGuide.children.filter((c) => c.userData.walkTo || c.userData.message)) {
    vrGuide.remove(old);
    old.material.map.dispose();
  }
  const items = m.items.length ? m.items : m.alternatives;
  const header = textPlane(m.message || (items.length ? 'Point at one to walk to it' : 'Nothing found'), 0.7, 0.08,
                           { size: 20 });
  header.position.set(0, 0.05, 0);
  header.userData.message = true;
  vrGuide.add(header);
  items.slice(0, 5).forEach((item, i) => {
    const p = state.products.get(item.product);
    const line = textPlane(`${p ? p.name : item.product}${item.size ? ' · ' + item.size : ''} · ${item.price.toFixed(2)}`,
                           0.7, 0.08, { size: 24 });
    line.position.set(0, -0.05 - i * 0.09, 0);
    line.userData.walkTo = item.product;
    vrGuide.add(line);
  });
}
state.vrGuide = vrGuide;

// VR: point with a controller and pull the trigger to pick a garment, or to walk to a spot on the floor
for (const index of [0, 1]) {
  const controller = renderer.xr.getController(index);
  controller.add(new THREE.Line(new THREE.BufferGeometry().setFromPoints([new THREE.Vector3(), new THREE.Vector3(0, 0, -5)]),
                                new THREE.LineBasicMaterial({ color: 0xffffff })));
  controller.addEventListener('selectstart', () => {
    const origin = new THREE.Vector3().setFromMatrixPosition(controller.matrixWorld);
    const direction = new THREE.Vector3(0, 0, -1).applyQuaternion(controller.getWorldQuaternion(new THREE.Quaternion()));
    raycaster.set(origin, direction);
    const hit = raycaster.intersectObjects([...(vrGuide.visible ? vrGuide.children : []), ...pickables, floor], false)[0];
    if (!hit) return;
    if (hit.object.userData.ask) send({ type: 'ask', text: hit.object.userData.ask, k: 5 });
    else if (hit.object.userData.walkTo) walkToProduct(hit.object.userData.walkTo);
    else if (hit.object.userData.productId) send({ type: 'pick', product: hit.object.userData.productId });
    else placeMe(hit.point.x, hit.point.z, me().heading);
  });
  dolly.add(controller);
}

// tests drive the page through these, as a person would through the mouse and keyboard
state.screenPositionOf = (productId) => {
  const mesh = pickables.find((m) => m.userData.productId === productId);
  const v = mesh.getWorldPosition(new THREE.Vector3()).project(camera);
  return { x: (v.x + 1) / 2 * innerWidth, y: (1 - v.y) / 2 * innerHeight, visible: v.z < 1 };
};
state.lookAt = (x, y, z, fromX, fromY, fromZ) => { controls.target.set(x, y, z); camera.position.set(fromX, fromY, fromZ); controls.update(); };
state.lookAtMe = lookAtMe;
state.cameraPosition = () => camera.position.clone();
state.THREE = THREE;
state.walkToProduct = walkToProduct;
state.walkTo = (x, z, heading = 0) => placeMe(x, z, heading);
state.showHeatmap = showHeatmap;
state.positionOf = (id) => { const s = state.shoppers.get(id); return s && { x: s.x, z: s.z, heading: s.heading }; };

// Frames on demand: a still store is drawn once a second, not 40 times, so a try-on's drape on the
// same machine gets the CPU (issue 13: with the page open, try-ons took ten times longer). Your own
// moves and clicks draw at up to 30 fps; other shoppers walking, at 15; and while your try-on is
// being draped, at 2, unless you move (with six bots walking, software rendering at 30 fps left
// the drape a sliver of the CPU: try-ons took minutes).
const MIN_FRAME_MS = 1000 / 30; // no more frames than anyone sees
const OTHERS_FRAME_MS = 1000 / 15;
const WAITING_FRAME_MS = 500;
const STILL_FRAME_MS = 1000;
let previousFrame = performance.now(), lastRender = 0;
controls.addEventListener('change', invalidate);
addEventListener('resize', invalidate);
renderer.setAnimationLoop(() => {
  if (!renderer.xr.isPresenting && performance.now() - previousFrame < MIN_FRAME_MS) return;
  const dt = Math.min((performance.now() - previousFrame) / 1000, 0.25);
  previousFrame = performance.now();
  walk(dt);
  fadeLabels();
  const now = performance.now();
  if (dirty && now - lastSent > 50) {
    const you = me();
    send({ type: 'move', x: you.x, z: you.z, heading: you.heading });
    lastSent = now; dirty = false;
  }
  const othersMoved = interpolate(now);
  if (renderer.xr.isPresenting && me()) dolly.position.set(me().x, 0, me().z);
  else controls.update();
  const since = now - lastRender;
  const due = keys.size > 0 || invalidated || since >= STILL_FRAME_MS ||
    (othersMoved && since >= (state.tryOnPending ? WAITING_FRAME_MS : OTHERS_FRAME_MS));
  if (!renderer.xr.isPresenting && !due) return;
  renderer.render(scene, camera);
  state.renders += 1;
  lastRender = now;
  invalidated = false;
});

addEventListener('resize', () => {
  camera.aspect = innerWidth / innerHeight;
  camera.updateProjectionMatrix();
  renderer.setSize(innerWidth, innerHeight);
});

connect();
