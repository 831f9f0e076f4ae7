// `netdojo validate` advice: a shell check that only runs a command a typed check reads better.
// Typed checks run out-of-band (the learner cannot fake them) and say what is missing; a shell
// check runs the learner's own tools. Only single, simple commands are judged (no pipes, no `;`).
import type { CheckKind } from '../labs/schema.js';

const RULES: Array<{ re: RegExp; kind: CheckKind; what: string }> = [
  { re: /^ip\s+(-\S+\s+)*(r|ro|rou|route)(\s|$)/, kind: 'route', what: 'ip route' },
  { re: /^ip\s+(-\S+\s+)*(l|li|lin|link|a|ad|addr|address)(\s|$)/, kind: 'link', what: 'ip link / ip addr' },
  { re: /^ip\s+(-\S+\s+)*netns(\s+(list|ls|show))?\s*$/, kind: 'netns', what: 'ip netns list' },
  { re: /^iptables(-nft|-legacy)?\s+(-w(\s+\d+)?\s+)?(-t\s+\S+\s+)?(-w(\s+\d+)?\s+)?(-S|-L|--list)\b/, kind: 'iptables', what: 'iptables -S / -L' },
  { re: /^iptables(-nft|-legacy)?-save\b/, kind: 'iptables', what: 'iptables-save' },
  { re: /^ping\s/, kind: 'ping', what: 'ping' },
  { re: /^curl\s/, kind: 'http', what: 'curl' },
  { re: /^(dig|nslookup|host)\s/, kind: 'dns', what: 'a DNS lookup' },
  { re: /^sysctl\s+(-n\s+)?(-n\s+)?net\./, kind: 'sysctl', what: 'sysctl' },
  { re: /^cat\s+\/proc\/sys\/net\//, kind: 'sysctl', what: 'cat /proc/sys/net/…' },
];

/** The typed kind a shell check's script could be, with the command it runs; undefined if none. */
export function typedAlternative(script: string): { kind: CheckKind; what: string } | undefined {
  const text = script.trim();
  if (text.includes('\n') || /[|;&<>`$()]/.test(text)) return undefined;
  // `ip netns exec NS cmd` and `ip -n NS cmd` are the typed checks' `netns:`
  const cmd = text.replace(/^ip\s+netns\s+exec\s+\S+\s+/, '').replace(/^ip\s+-n\s+\S+\s+/, 'ip ');
  const hit = RULES.find((r) => r.re.test(cmd));
  return hit && { kind: hit.kind, what: hit.what };
}
