/**
 * A pretend WeChat for the demo and the tests: a real Wechaty on
 * wechaty-puppet-mock, with residents and groups that send messages to the bot
 * and collect what the bot sends back. Never used in production.
 */
import { randomUUID } from "node:crypto";
import { types, type Wechaty, WechatyBuilder } from "wechaty";
import { mock, PuppetMock } from "wechaty-puppet-mock";

type ContactMock = InstanceType<typeof mock.ContactMock>;
type RoomMock = InstanceType<typeof mock.RoomMock>;
type MessageMock = InstanceType<typeof mock.MessageMock>;

/**
 * The mock's contacts and rooms are EventEmitters, but their typings (via
 * typed-emitter, a CommonJS default export) do not resolve under NodeNext.
 */
function onMessage(emitter: ContactMock | RoomMock, listener: (m: MessageMock) => void): void {
  (emitter as unknown as NodeJS.EventEmitter).on("message", listener);
}

export interface MockResident {
  contact: ContactMock;
  /** Texts the bot sent to this resident privately, in arrival order. */
  inbox: string[];
  say(text: string): void;
  /** A non-text message; `text` is what the puppet puts in the payload (e.g. a voice transcript). */
  send(type: types.Message, text?: string): void;
  requestFriendship(hello: string): Promise<void>;
}

export interface MockGroup {
  room: RoomMock;
  /** Texts the bot sent in the group. */
  messages: string[];
  say(from: MockResident, text: string, mentionBot: boolean): void;
}

export interface MockWorld {
  wechaty: Wechaty;
  puppet: PuppetMock;
  botUser: ContactMock;
  botName: string;
  /** Logs the bot in (after `wechaty.start()`), resolving on Wechaty's login event. */
  login(): Promise<void>;
  resident(name: string, options?: { friend?: boolean }): MockResident;
  group(topic: string, members: MockResident[]): MockGroup;
}

export function createMockWorld(botName = "济源妇儿服务助手"): MockWorld {
  const mocker = new mock.Mocker();
  const puppet = new PuppetMock({ mocker });
  const wechaty = WechatyBuilder.build({ puppet });
  const botUser = mocker.createContact({ name: botName });
  const fromBot = (m: MessageMock) => m.payload.talkerId === botUser.id;

  function send(from: ContactMock, payload: { type: types.Message; text?: string; roomId?: string }) {
    const message = mocker.MessageMock.create({
      id: randomUUID(),
      talkerId: from.id,
      ...(payload.roomId ? { roomId: payload.roomId, mentionIdList: [] } : { listenerId: botUser.id }),
      timestamp: Date.now(),
      type: payload.type,
      text: payload.text ?? "",
    } as ConstructorParameters<typeof mock.MessageMock>[0]);
    puppet.emit("message", { messageId: message.id });
  }

  return {
    wechaty,
    puppet,
    botUser,
    botName,
    login() {
      return new Promise<void>((resolve) => {
        wechaty.once("login", () => resolve());
        mocker.login(botUser);
      });
    },
    resident(name, options) {
      const contact = mocker.createContact({ name, friend: options?.friend ?? true });
      const inbox: string[] = [];
      onMessage(contact, (m) => {
        if (fromBot(m) && !m.payload.roomId) inbox.push(m.text() ?? "");
      });
      return {
        contact,
        inbox,
        say: (text) => contact.say(text).to(botUser),
        send: (type, text) => send(contact, { type, ...(text === undefined ? {} : { text }) }),
        async requestFriendship(hello) {
          const id = randomUUID();
          await puppet.friendshipPayload(id, {
            id,
            contactId: contact.id,
            hello,
            type: types.Friendship.Receive,
            ticket: id,
            timestamp: Date.now(),
          });
          puppet.emit("friendship", { friendshipId: id });
        },
      };
    },
    group(topic, members) {
      const room = mocker.createRoom({ topic, memberIdList: [botUser.id, ...members.map((m) => m.contact.id)] });
      const messages: string[] = [];
      onMessage(room, (m) => {
        if (fromBot(m)) messages.push(m.text() ?? "");
      });
      return {
        room,
        messages,
        say(from, text, mentionBot) {
          if (mentionBot) from.contact.say(`@${botName}\u2005${text}`, [botUser]).to(room);
          else from.contact.say(text).to(room);
        },
      };
    },
  };
}

/** Polls until `check` is true (real time); for the demo and tests driving the mock. */
export async function waitUntil(check: () => boolean, timeoutMs = 10_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
