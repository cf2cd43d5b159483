/**
 * Everything the bot itself says (residents read Chinese). Every text that
 * might reach someone in danger names 110: this service is not a police line
 * and staff are not watching around the clock.
 */

export const LINE_110 = "如果你现在有危险，请马上拨打110。";

export const GREETING = [
  "你好，这里是济源妇儿服务助手。",
  "可以问我《济源示范区妇女发展规划》《济源示范区儿童发展规划》的目标和措施，或者找妇联、儿童之家、法律援助等服务和求助热线。",
  "遇到家庭暴力、孩子受到伤害等情况，也可以告诉我，我会转给工作人员跟进。",
  "这里不是报警电话，紧急情况请拨打110。",
].join("\n");

export const NON_TEXT = {
  voice: `我现在听不了语音，请打字告诉我你想问什么。${LINE_110}`,
  image: `我现在看不了图片，请用文字描述你想问的问题。${LINE_110}`,
  video: `我现在看不了视频，请用文字描述你想问的问题。${LINE_110}`,
  sticker: "收到你的表情了。我只能读懂文字，有什么想问的，请直接打字告诉我。",
  file: `我现在打不开文件，请把想问的内容用文字发给我。${LINE_110}`,
  link: `我现在打不开链接，请用文字告诉我你想了解什么。${LINE_110}`,
  miniProgram: `我现在打不开小程序，请用文字告诉我你想了解什么。${LINE_110}`,
  location: "我现在读不了位置信息。如果你现在有危险，请马上拨打110，并告诉接警员你在哪里。",
  money:
    "本服务完全免费，不收任何费用，也不接收转账和红包，请不要转账（未领取的转账和红包会自动退回）。有问题请直接打字问我。",
  other: `我目前只能读懂文字消息，请打字告诉我你想问什么。${LINE_110}`,
} as const;

export type NonTextKind = keyof typeof NON_TEXT;

/** In a group, after an urgent disclosure: the details go privately, the group learns nothing. */
export const GROUP_PRIVATE_FOLLOW_UP = "已私信你，请查看。如有危险请拨打110。";
/** …and when the sender is not a friend of the bot, so a private message cannot reach them. */
export const GROUP_ADD_FRIEND = "请加我为好友后私聊，我会私信回复你。如有危险请马上拨打110。";
/** An @ with nothing else. */
export const GROUP_EMPTY_MENTION = "请在@我后面写上你想问的问题，例如“宫颈癌筛查率的目标是多少？”";

/** While the service cannot be reached: the message is kept and answered once it can. */
export const DELAYED = `系统正在恢复，你的消息已收到，稍后回复你。${LINE_110}`;
export const GROUP_DELAYED = `系统正在恢复，稍后回复。如有危险请拨打110。`;
/** When the bot gave up on a message (queue full for a long outage). */
export const UNAVAILABLE = `服务暂时不可用，请稍后再发。${LINE_110}`;
