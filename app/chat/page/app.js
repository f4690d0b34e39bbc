// gomicro chat page: plain JS against the REST API and the WebSocket.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const api = "/api/v1";
  const state = { token: sessionStorage.getItem("token"), me: sessionStorage.getItem("me"), uri: null,
    ws: null, last: 0, oldest: 0, retry: 0, timer: null, pending: new Set() };

  function showError(msg) { const e = $("error"); e.textContent = msg; e.hidden = !msg; }

  async function call(method, path, body) {
    const headers = { "Accept": "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (state.token) headers["Authorization"] = "Bearer " + state.token;
    let resp;
    try {
      resp = await fetch(api + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) { throw new Error("The server cannot be reached. Check your connection."); }
    if (resp.status === 204) return null;
    const data = await resp.json().catch(() => ({}));
    if (!resp.ok) {
      if (resp.status === 401 && path !== "/auth/tokens") { signOut(); }
      const details = (data.errors || []).map((d) => `${d.location}: ${d.message}`).join("; ");
      throw new Error((data.message || resp.statusText) + (details ? ` (${details})` : ""));
    }
    return data;
  }
  const guard = (fn) => async (ev) => { if (ev) ev.preventDefault(); showError(""); try { await fn(ev); } catch (err) { showError(err.message); } };

  function view(name) { for (const s of ["auth", "lobby", "room"]) $(s).hidden = s !== name;
    $("me").hidden = $("signout").hidden = name === "auth"; $("me").textContent = state.me || ""; }

  async function signIn() {
    const username = $("username").value, password = $("password").value;
    const t = await call("POST", "/auth/tokens", { username, password });
    state.token = t.token; sessionStorage.setItem("token", t.token);
    const me = await call("GET", "/auth/users/me");
    state.me = me.username; sessionStorage.setItem("me", me.username);
    await route();
  }
  async function signUp() {
    const username = $("username").value, password = $("password").value;
    await call("POST", "/auth/users", { username, password });
    await signIn();
  }
  function signOut() {
    if (state.token) fetch(api + "/auth/tokens/current", { method: "DELETE", headers: { Authorization: "Bearer " + state.token } }).catch(() => {});
    closeSocket(); state.token = state.me = null; sessionStorage.clear(); view("auth");
  }

  async function lobby() {
    view("lobby"); closeSocket();
    const list = await call("GET", "/chats?limit=100");
    const ul = $("chats"); ul.textContent = "";
    for (const c of list.chats) {
      const li = document.createElement("li"), a = document.createElement("a");
      a.href = "#" + c.uri; a.textContent = `${c.members.join(", ")} — ${c.uri}`; li.append(a); ul.append(li);
    }
    if (!list.chats.length) ul.textContent = "No chats yet: create one, or paste an invitation link.";
  }

  function uriFrom(text) { text = text.trim(); const i = text.lastIndexOf("#"); return i >= 0 ? text.slice(i + 1) : text.split("/").pop(); }

  async function openChat(uri) {
    const chat = await call("GET", "/chats/" + encodeURIComponent(uri));
    if (!chat.members.includes(state.me)) await call("POST", `/chats/${encodeURIComponent(uri)}/members`);
    state.uri = uri; state.last = 0; state.oldest = 0;
    $("messages").textContent = ""; $("presence").textContent = "";
    $("invite").value = location.origin + location.pathname + "#" + uri;
    view("room"); await members();
    const page = await call("GET", `/chats/${encodeURIComponent(uri)}/messages?limit=50`);
    page.messages.forEach((m) => add(m, false));
    $("older").hidden = !page.has_more;
    scrollDown(); connect();
  }
  async function members() {
    const chat = await call("GET", "/chats/" + encodeURIComponent(state.uri));
    fill($("members"), chat.members.map((m) => m === chat.owner ? m + " (owner)" : m));
  }
  function fill(ul, items) { ul.textContent = ""; for (const i of items) { const li = document.createElement("li"); li.textContent = i; ul.append(li); } }

  function render(m) {
    const li = document.createElement("li"); li.dataset.id = m.id; if (m.user === "bot") li.className = "bot";
    const u = document.createElement("span"); u.className = "user"; u.textContent = m.target ? `${m.user} → ${m.target} (private)` : m.user;
    if (m.target) li.classList.add("private");
    const t = document.createElement("time"); t.dateTime = m.created_at; t.textContent = new Date(m.created_at).toLocaleTimeString();
    li.append(u, document.createTextNode(m.message), t); return li;
  }
  function add(m, live) {
    if (m.id <= state.last) return; // already shown: replay and live never repeat
    const atBottom = live && nearBottom();
    $("messages").append(render(m)); state.last = m.id; if (!state.oldest) state.oldest = m.id;
    if (m.client_id) state.pending.delete(m.client_id);
    if (atBottom || m.user === state.me) scrollDown();
  }
  async function older() {
    if (!state.oldest || state.oldest <= 1) { $("older").hidden = true; return; }
    const log = $("log"), before = log.scrollHeight;
    const page = await call("GET", `/chats/${encodeURIComponent(state.uri)}/messages?before=${state.oldest}&limit=50`);
    const first = $("messages").firstChild;
    for (const m of page.messages) $("messages").insertBefore(render(m), first);
    if (page.messages.length) state.oldest = page.messages[0].id;
    $("older").hidden = !page.has_more;
    log.scrollTop += log.scrollHeight - before;
  }
  const nearBottom = () => { const l = $("log"); return l.scrollHeight - l.scrollTop - l.clientHeight < 40; };
  const scrollDown = () => { const l = $("log"); l.scrollTop = l.scrollHeight; };

  function setStatus(text, online) { const s = $("status"); s.textContent = text; s.className = "status " + (online ? "online" : "offline"); }

  async function connect() {
    const uri = state.uri; if (!uri) return;
    setStatus("connecting…", false);
    let ticket;
    try { ticket = (await call("POST", `/chats/${encodeURIComponent(uri)}/tickets`)).ticket; }
    catch (err) { showError(err.message); return reconnectLater(); }
    if (uri !== state.uri) return;
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${proto}//${location.host}${api}/chats/${encodeURIComponent(uri)}/ws?after=${state.last}&ticket=${encodeURIComponent(ticket)}`);
    state.ws = ws;
    ws.onopen = () => { state.retry = 0; setStatus("online", true); showError(""); };
    ws.onmessage = (ev) => {
      const f = JSON.parse(ev.data);
      if (f.type === "message") add(f.data, true);
      else if (f.type === "presence") fill($("presence"), f.data.users);
      else if (f.type === "join") { if (![...$("presence").children].some((li) => li.textContent === f.data.user)) { const li = document.createElement("li"); li.textContent = f.data.user; $("presence").append(li); } members(); }
      else if (f.type === "leave") { for (const li of [...$("presence").children]) if (li.textContent === f.data.user) li.remove(); }
      else if (f.type === "error") showError(f.data.message);
    };
    ws.onclose = (ev) => {
      if (state.ws !== ws) return;
      state.ws = null; setStatus("offline — reconnecting", false);
      if (ev.code === 1008) { showError("You are no longer a member of this chat."); return; }
      reconnectLater();
    };
  }
  function reconnectLater() {
    clearTimeout(state.timer);
    const delay = Math.min(10000, 300 * 2 ** state.retry++) * (0.5 + Math.random() / 2);
    state.timer = setTimeout(connect, delay);
  }
  function closeSocket() { clearTimeout(state.timer); state.uri = null; if (state.ws) { const ws = state.ws; state.ws = null; ws.close(1000); } }

  async function send() {
    const text = $("text").value; if (!text.trim()) return;
    const client_id = (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random());
    if (state.ws && state.ws.readyState === WebSocket.OPEN) {
      state.ws.send(JSON.stringify({ type: "message", data: { message: text, client_id } }));
    } else { // offline: post over REST; the socket catches up on reconnect
      add(await call("POST", `/chats/${encodeURIComponent(state.uri)}/messages`, { message: text, client_id }), true);
    }
    $("text").value = "";
  }

  async function route() {
    if (!state.token) return view("auth");
    const uri = location.hash.slice(1);
    if (uri) return openChat(uri);
    return lobby();
  }

  $("authform").addEventListener("submit", guard(signIn));
  $("signup").addEventListener("click", guard(signUp));
  $("signout").addEventListener("click", signOut);
  $("newchat").addEventListener("click", guard(async () => { const c = await call("POST", "/chats"); location.hash = c.uri; }));
  $("joinform").addEventListener("submit", guard(async () => { location.hash = uriFrom($("joinuri").value); }));
  $("back").addEventListener("click", () => { location.hash = ""; });
  $("copy").addEventListener("click", guard(async () => {
    $("invite").select();
    try { await navigator.clipboard.writeText($("invite").value); $("copy").textContent = "Copied"; }
    catch (err) { document.execCommand("copy"); $("copy").textContent = "Copied"; }
    setTimeout(() => { $("copy").textContent = "Copy invitation link"; }, 1500);
  }));
  $("older").addEventListener("click", guard(older));
  $("log").addEventListener("scroll", () => { if ($("log").scrollTop === 0 && !$("older").hidden) guard(older)(); });
  $("sendform").addEventListener("submit", guard(send));
  window.addEventListener("hashchange", guard(route));
  guard(route)();
})();
