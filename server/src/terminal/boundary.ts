// Where terminal output may be cut so that a screen starting there parses it as xterm.js would:
// not inside a UTF-8 character, nor inside an escape sequence (ESC, CSI, OSC, DCS, SOS/PM/APC and
// their C1 forms). The states and transitions of xterm.js's parser (VT500_TRANSITION_TABLE, after
// vt100.net/emu/dec_ansi_parser) and of its UTF-8 decoder, reduced to "inside something or not".

const enum S {
  GROUND,
  ESCAPE,
  ESCAPE_INTERMEDIATE,
  CSI_ENTRY,
  CSI_PARAM,
  CSI_INTERMEDIATE,
  CSI_IGNORE,
  OSC,
  SOS_PM_APC,
  DCS_ENTRY,
  DCS_PARAM,
  DCS_INTERMEDIATE,
  DCS_IGNORE,
  DCS_PASSTHROUGH,
}
const STATES = S.DCS_PASSTHROUGH + 1;

/** next state for each state and 7-bit byte */
const ASCII = (() => {
  const t = new Uint8Array(STATES * 128);
  const set = (state: S, from: number, to: number, next: S) => t.fill(next, state * 128 + from, state * 128 + to + 1);
  for (let s = 0; s < STATES; s++) set(s, 0, 127, s); // by default a byte leaves the state as it is
  set(S.ESCAPE, 0x20, 0x2f, S.ESCAPE_INTERMEDIATE);
  set(S.ESCAPE, 0x30, 0x7e, S.GROUND);
  set(S.ESCAPE, 0x5b, 0x5b, S.CSI_ENTRY); // [
  set(S.ESCAPE, 0x5d, 0x5d, S.OSC); // ]
  set(S.ESCAPE, 0x50, 0x50, S.DCS_ENTRY); // P
  for (const b of [0x58, 0x5e, 0x5f]) set(S.ESCAPE, b, b, S.SOS_PM_APC); // X ^ _
  set(S.ESCAPE_INTERMEDIATE, 0x30, 0x7e, S.GROUND);
  for (const [csi, final] of [[true, S.GROUND], [false, S.DCS_PASSTHROUGH]] as const) {
    const [entry, param, inter, ignore] = csi
      ? [S.CSI_ENTRY, S.CSI_PARAM, S.CSI_INTERMEDIATE, S.CSI_IGNORE]
      : [S.DCS_ENTRY, S.DCS_PARAM, S.DCS_INTERMEDIATE, S.DCS_IGNORE];
    set(entry, 0x20, 0x2f, inter);
    set(entry, 0x30, 0x3f, param);
    set(entry, 0x40, 0x7e, final);
    set(param, 0x20, 0x2f, inter);
    set(param, 0x3c, 0x3f, ignore);
    set(param, 0x40, 0x7e, final);
    set(inter, 0x30, 0x3f, ignore);
    set(inter, 0x40, 0x7e, final);
    if (csi) set(ignore, 0x40, 0x7e, S.GROUND); // a DCS being ignored lasts until its ST
  }
  set(S.OSC, 0x07, 0x07, S.GROUND); // BEL ends an OSC (only)
  for (let s = 0; s < STATES; s++) {
    set(s, 0x18, 0x18, S.GROUND); // CAN and SUB abort anything
    set(s, 0x1a, 0x1a, S.GROUND);
    set(s, 0x1b, 0x1b, S.ESCAPE); // ESC starts over from anywhere (in a string it is the start of ST)
  }
  return t;
})();

/** states a non-ASCII character leaves as they are (elsewhere it is an error, back to ground) */
const KEEPS_TEXT = new Set<S>([S.GROUND, S.OSC, S.CSI_IGNORE, S.DCS_IGNORE, S.DCS_PASSTHROUGH]);

export class SequenceState {
  private state = S.GROUND;
  /** UTF-8 continuation bytes still expected, the length of the character, and its code point so far */
  private need = 0;
  private len = 0;
  private cp = 0;

  /** true when a screen could start parsing here */
  get clean(): boolean {
    return this.state === S.GROUND && this.need === 0;
  }

  copy(): SequenceState {
    const s = new SequenceState();
    s.state = this.state;
    s.need = this.need;
    s.len = this.len;
    s.cp = this.cp;
    return s;
  }

  // The loops below keep the parser state in a local and take ASCII outside a character in one
  // table lookup; anything else goes through feed().

  /** consumes buf[from, to) */
  advance(buf: Uint8Array, from = 0, to = buf.length): void {
    let st = this.state;
    for (let i = from; i < to; i++) {
      const b = buf[i]!;
      if (b < 0x80 && this.need === 0) st = ASCII[st * 128 + b]!;
      else {
        this.state = st;
        this.feed(b);
        st = this.state;
      }
    }
    this.state = st;
  }

  /**
   * Advances to the first index i in [from, to] where the state before buf[i] is clean and
   * returns it; -1 (having consumed buf[from, to)) if there is none.
   */
  advanceToClean(buf: Uint8Array, from = 0, to = buf.length): number {
    for (let i = from; i < to; i++) {
      if (this.clean) return i;
      this.feed(buf[i]!);
    }
    return this.clean ? to : -1;
  }

  /** consumes buf[from, to) and returns the last index i in [from, to] where the state before buf[i] was clean, or -1 */
  advanceLastClean(buf: Uint8Array, from = 0, to = buf.length): number {
    let last = -1;
    let st = this.state;
    for (let i = from; i < to; i++) {
      const b = buf[i]!;
      if (this.need === 0) {
        if (st === S.GROUND) last = i;
        if (b < 0x80) {
          st = ASCII[st * 128 + b]!;
          continue;
        }
      }
      this.state = st;
      this.feed(b);
      st = this.state;
    }
    this.state = st;
    return this.clean ? to : last;
  }

  feed(b: number): void {
    if (b < 0x80 && this.need === 0) {
      this.state = ASCII[this.state * 128 + b]!;
      return;
    }
    if (this.need > 0) {
      if ((b & 0xc0) === 0x80) {
        this.cp = (this.cp << 6) | (b & 0x3f);
        if (--this.need === 0) this.character();
        return;
      }
      this.need = 0; // a broken character is dropped; this byte starts afresh (as in xterm.js's decoder)
      if (b < 0x80) {
        this.state = ASCII[this.state * 128 + b]!;
        return;
      }
    }
    // a lead byte; a stray continuation byte or 0xF8–0xFF is dropped
    if (b >= 0xc0 && b <= 0xdf) this.lead(1, b & 0x1f);
    else if (b >= 0xe0 && b <= 0xef) this.lead(2, b & 0x0f);
    else if (b >= 0xf0 && b <= 0xf7) this.lead(3, b & 0x07);
  }

  private lead(need: number, bits: number): void {
    this.need = need;
    this.len = need + 1;
    this.cp = bits;
  }

  private character(): void {
    const cp = this.cp;
    const valid = this.len === 2 ? cp >= 0x80 : this.len === 3 ? cp >= 0x800 && (cp < 0xd800 || cp > 0xdfff) && cp !== 0xfeff : cp >= 0x10000 && cp <= 0x10ffff;
    if (!valid) return; // dropped, as xterm.js's decoder does
    if (cp >= 0xa0) {
      if (!KEEPS_TEXT.has(this.state)) this.state = S.GROUND;
      return;
    }
    // a C1 control (U+0080–U+009F), from any state
    if (cp === 0x9b) this.state = S.CSI_ENTRY;
    else if (cp === 0x9d) this.state = S.OSC;
    else if (cp === 0x90) this.state = S.DCS_ENTRY;
    else if (cp === 0x98 || cp === 0x9e || cp === 0x9f) this.state = S.SOS_PM_APC;
    else this.state = S.GROUND; // ST and the controls that execute
  }
}

/**
 * How many bytes at the end of buf[0, end) start a UTF-8 character that is not complete yet (0–3).
 * Frames end before them: xterm.js 6.0 drops a character split across writes after a 0x80 byte
 * (xtermjs/xterm.js#6003), and "—", "…" and curly quotes are E2 80 xx.
 */
export function incompleteTail(buf: Uint8Array, end = buf.length): number {
  for (let k = 1; k <= 3 && k <= end; k++) {
    const b = buf[end - k]!;
    if ((b & 0xc0) === 0x80) continue;
    const len = b >= 0xf0 && b <= 0xf7 ? 4 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xc0 && b <= 0xdf ? 2 : 1;
    return len > k ? k : 0;
  }
  return 0;
}
