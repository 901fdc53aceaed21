// The page: guilds and channels on the left, a channel's messages in the middle, a thread on
// the right, the command box at the bottom. It reads /web/state and /web/channels/{id}, and
// keeps them current from /web/events (server-sent events), never by reloading.
// ?channel=ID opens a channel, &thread=ID a thread beside it.

import { CommandBox } from "./command.js";
import { continues, el, messageElement } from "./render.js";

const app = {
  world: { guilds: [], commands: [], bot: {} },
  channelId: null,
  threadId: null,
  views: {}, // channel id → {list element, messages: [json]}
  async interact(body, autocomplete) {
    return post("/_sandbox/interactions", body, autocomplete);
  },
};

async function post(url, body) {
  try {
    const r = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    return await r.json();
  } catch (err) {
    return { error: String(err) };
  }
}

async function get(url) {
  const r = await fetch(url, { cache: "no-store" });
  return r.json();
}

function channel(id) {
  for (const g of app.world.guilds) for (const c of g.channels) if (c.id === id) return c;
  return null;
}

function guildOf(id) {
  return app.world.guilds.find((g) => g.channels.some((c) => c.id === id)) || app.world.guilds[0] || null;
}

const ctx = {
  names(kind, id) {
    if (kind === "channel") return (channel(id) || {}).name || null;
    for (const g of app.world.guilds) {
      const list = kind === "role" ? g.roles : g.members;
      const found = list.find((x) => x.id === id);
      if (found) return found.name || found.username;
    }
    return null;
  },
  async click(message, component, values) {
    const body = { message_id: message.id, custom_id: component.custom_id, component_type: component.type, user_id: box.member.value || undefined, timeout: 15 };
    if (values) body.values = values;
    const result = await post("/_sandbox/click", body);
    box.say(result.error ? "error" : "ok", result.error || `Clicked ${component.label || component.custom_id}: ${result.status}`);
  },
  openThread(id) {
    app.threadId = id;
    showThread();
    remember();
  },
};

function remember() {
  const q = new URLSearchParams();
  if (app.channelId) q.set("channel", app.channelId);
  if (app.threadId) q.set("thread", app.threadId);
  history.replaceState(null, "", `/?${q}`);
}

// -- the sidebar ---------------------------------------------------------------------------

function sidebar() {
  const nav = document.getElementById("channels");
  nav.replaceChildren();
  for (const g of app.world.guilds) {
    const head = el("div", "guild-name");
    head.textContent = g.name;
    nav.append(head);
    for (const c of g.channels.filter((x) => !x.is_thread)) {
      nav.append(channelLink(c, "# "));
      for (const t of g.channels.filter((x) => x.is_thread && x.parent_id === c.id)) nav.append(channelLink(t, "↳ ", true));
    }
  }
}

function channelLink(c, prefix, thread = false) {
  const a = el("a", "channel-link" + (thread ? " thread-link" : "") + (c.id === app.channelId || c.id === app.threadId ? " selected" : ""));
  a.href = thread ? `/?channel=${c.parent_id}&thread=${c.id}` : `/?channel=${c.id}`;
  a.dataset.channelId = c.id;
  a.textContent = prefix + c.name;
  a.addEventListener("click", (e) => {
    e.preventDefault();
    if (thread) {
      if (app.channelId !== c.parent_id) openChannel(c.parent_id);
      ctx.openThread(c.id);
    } else openChannel(c.id);
  });
  return a;
}

// -- message lists -------------------------------------------------------------------------

function draw(view) {
  view.list.replaceChildren();
  let previous = null;
  for (const m of view.messages) {
    view.list.append(messageElement(m, ctx, continues(previous, m)));
    previous = m;
  }
  if (!view.messages.length) {
    const empty = el("div", "empty");
    empty.textContent = "No messages yet.";
    view.list.append(empty);
  }
  view.list.scrollTop = view.list.scrollHeight;
}

async function load(id, list) {
  // Registered before the read, so changes that arrive meanwhile are kept and applied after.
  const view = { list, messages: [], pending: [] };
  app.views[id] = view;
  const data = await get(`/web/channels/${id}`);
  if (app.views[id] !== view) return view;
  view.messages = data.messages || [];
  const pending = view.pending;
  view.pending = null;
  for (const event of pending) change(view, event);
  draw(view);
  return view;
}

function change(view, event) {
  const i = view.messages.findIndex((m) => m.id === event.message.id);
  if (event.type === "message_delete") {
    if (i >= 0) view.messages.splice(i, 1);
  } else if (i >= 0) view.messages[i] = event.message;
  else view.messages.push(event.message);
}

async function openChannel(id) {
  app.channelId = id;
  app.threadId = null;
  const c = channel(id);
  document.getElementById("channel-title").textContent = c ? `# ${c.name}` : "";
  document.getElementById("thread-panel").hidden = true;
  for (const k of Object.keys(app.views)) delete app.views[k];
  box.update(app.world.commands, guildOf(id));
  box.input.placeholder = c ? `Message #${c.name} — type / to run a command` : "Type / to run a command";
  sidebar();
  remember();
  await load(id, document.getElementById("messages"));
}

async function showThread() {
  const panel = document.getElementById("thread-panel");
  const t = channel(app.threadId);
  panel.hidden = false;
  document.getElementById("thread-title").textContent = t ? t.name : "Thread";
  sidebar();
  await load(app.threadId, document.getElementById("thread-messages"));
}

// -- live updates --------------------------------------------------------------------------

function apply(event) {
  if (event.type === "reset" || event.type === "resync") return start(false);
  if (event.type === "channel_create" || event.type === "channel_delete") {
    const g = app.world.guilds.find((x) => x.id === event.channel.guild_id);
    if (g) {
      g.channels = g.channels.filter((c) => c.id !== event.channel.id);
      if (event.type === "channel_create") g.channels.push(event.channel);
    }
    return sidebar();
  }
  const view = app.views[event.channel_id];
  if (!view) return undefined;
  if (view.pending) return view.pending.push(event);
  change(view, event);
  return draw(view);
}

let source = null;

function listen() {
  if (source) source.close();
  source = new EventSource("/web/events");
  source.onmessage = (e) => apply(JSON.parse(e.data));
  let connected = false;
  source.addEventListener("hello", () => {
    document.body.dataset.live = "true";
    // A reconnect (the stream dropped, the sandbox restarted): what changed meanwhile was
    // never sent, so read the state again.
    if (connected) start(false);
    connected = true;
  });
  source.onerror = () => { document.body.dataset.live = "false"; };
}

async function start(first) {
  app.world = await get("/web/state");
  const q = new URLSearchParams(location.search);
  const wanted = first ? q.get("channel") : app.channelId;
  const thread = first ? q.get("thread") : app.threadId;
  const fallback = app.world.guilds.flatMap((g) => g.channels).find((c) => !c.is_thread);
  const id = wanted && channel(wanted) ? wanted : fallback ? fallback.id : null;
  if (id) await openChannel(id);
  else sidebar();
  if (thread && channel(thread)) ctx.openThread(thread);
  document.body.dataset.ready = "true";
}

const box = new CommandBox(document.getElementById("composer"), app);
document.getElementById("thread-close").addEventListener("click", () => {
  app.threadId = null;
  document.getElementById("thread-panel").hidden = true;
  remember();
  sidebar();
});
listen();
start(true);
