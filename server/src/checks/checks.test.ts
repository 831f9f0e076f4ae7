// Checkers against command output recorded in the netdojo/netbox image (testdata/): each kind
// is shown both a state that satisfies it and one that does not, and the messages are exact.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CaptureCheck, DnsCheck, FileCheck, HttpCheck, IptablesCheck, LinkCheck, NetnsCheck, PingCheck, RouteCheck, ShellCheck, SysctlCheck } from '../labs/schema.js';
import { parseMountinfo } from '../probe/netns.js';
import type { ExecResult } from '../sandbox/types.js';
import { evaluateDns, parseDig, parseGetent } from './dns.js';
import { evaluateHttp, parseHttp } from './http.js';
import { batchScript, parseBatch } from './batch.js';
import { evaluateCapture } from './capture.js';
import { evaluateFile } from './file.js';
import { evaluateIptables, legacyRules } from './iptables.js';
import { evaluateNetns } from './netns.js';
import { evaluateSysctl, sysctlPath } from './sysctl.js';
import { typedAlternative } from './typed-hint.js';
import { evaluateLinkOutput } from './link.js';
import { evaluatePing, parsePing, pingCommand } from './ping.js';
import { evaluateRouteOutput, type IpRoute } from './route.js';
import { evaluateShell } from './shell.js';
import { canonicalPrefix } from './util.js';

const dir = new URL('./testdata/', import.meta.url);
const text = (name: string) => readFileSync(new URL(name, dir), 'utf8');
const probes = JSON.parse(text('probes.json')) as Record<string, { stdout: string; stderr: string; exitCode: number }>;

function res(stdout: string, exitCode = 0, stderr = ''): ExecResult {
  return { stdout, stderr, exitCode, timedOut: false, durationMs: 1 };
}
const probe = (name: string): ExecResult => {
  const p = probes[name];
  if (!p) throw new Error(`no recorded probe ${name}`);
  return res(p.stdout, p.exitCode, p.stderr);
};
/** stdout of the link checker's script: link JSON, the split marker, addr JSON */
const linkOut = (dev: string) => `${text(`link-${dev}.json`)}\n@@netdojo-addr@@\n${text(`addr-${dev}.json`)}`;

describe('shell', () => {
  it('passes on exit 0 and shows stdout', () => {
    const o = evaluateShell(ShellCheck.parse({ run: 'ip netns list' }), res('blue\nred (id: 0)\n'), 'host');
    expect(o).toMatchObject({ pass: true, message: '`ip netns list` succeeded on host', expected: '`ip netns list` exits 0' });
    expect(o.actual).toBe('exit code 0\nstdout:\nblue\nred (id: 0)');
  });
  it('fails on a non-zero exit with the stderr tail', () => {
    const o = evaluateShell(ShellCheck.parse({ run: 'ip netns exec red true' }), res('', 1, 'Cannot open network namespace "red": No such file or directory\n'), 'host');
    expect(o.pass).toBe(false);
    expect(o.message).toBe('`ip netns exec red true` failed on host (exit 1): Cannot open network namespace "red": No such file or directory');
  });
  it('checks outputMatches per line', () => {
    const spec = ShellCheck.parse({ run: 'ip netns list', outputMatches: '^red\\b' });
    expect(evaluateShell(spec, res('blue\nred (id: 0)\n')).pass).toBe(true);
    const o = evaluateShell(spec, res('blue\nredder\n'), 'host');
    expect(o.pass).toBe(false);
    expect(o.message).toBe('`ip netns list` succeeded on host but its output does not match /^red\\b/');
  });
  it('reports a timeout', () => {
    const o = evaluateShell(ShellCheck.parse({ run: 'sleep 100' }), { ...res(''), exitCode: -1, timedOut: true }, 'host');
    expect(o).toMatchObject({ pass: false, message: '`sleep 100` timed out on host' });
  });
});

describe('ping', () => {
  it('parses iputils statistics', () => {
    expect(parsePing(probes['ping-ok']!.stdout)).toMatchObject({ transmitted: 2, received: 2, lossPercent: 0 });
    expect(parsePing(probes['ping-loss']!.stdout)).toMatchObject({ transmitted: 3, received: 0, lossPercent: 100 });
    expect(parsePing('')).toBeUndefined();
  });
  it('passes when the target answers', () => {
    const o = evaluatePing(PingCheck.parse({ to: '192.168.15.2' }), probe('ping-ok'), 'host (netns red)');
    expect(o.pass).toBe(true);
    expect(o.message).toMatch(/^192\.168\.15\.2 answers from host \(netns red\): 2 sent, 2 received, 0% loss, rtt avg [\d.]+ ms$/);
  });
  it('sends from a given source address and names it', () => {
    const spec = PingCheck.parse({ to: '198.51.100.10', from: '192.168.15.5' });
    expect(pingCommand(spec)).toBe("LC_ALL=C ping -n -c 2 -i 0.2 -W 1 -I '192.168.15.5' -- '198.51.100.10'");
    expect(evaluatePing(spec, probe('ping-ok'), 'node').expected).toBe('198.51.100.10 answers ping from node (source 192.168.15.5)');
    expect(() => PingCheck.parse({ to: 'x', from: 'eth0; reboot' })).toThrow();
  });
  it('fails on 100% loss and says so', () => {
    const o = evaluatePing(PingCheck.parse({ to: '192.168.15.3', count: 3 }), probe('ping-loss'), 'host (netns red)');
    expect(o).toMatchObject({ pass: false, message: 'no reply from 192.168.15.3 on host (netns red): 3 sent, 0 received, 100% loss' });
  });
  it('reads ICMP errors from the reply lines', () => {
    const out = 'PING 11.11.11.3 (11.11.11.3) 56(84) bytes of data.\nFrom 11.11.11.2 icmp_seq=1 Destination Host Unreachable\nFrom 11.11.11.2 icmp_seq=2 Destination Host Unreachable\n\n--- 11.11.11.3 ping statistics ---\n2 packets transmitted, 0 received, +2 errors, 100% packet loss, time 1023ms\npipe 2\n';
    const o = evaluatePing(PingCheck.parse({ to: '11.11.11.3' }), res(out, 1), 'host');
    expect(o.message).toBe('no reply from 11.11.11.3 on host: 2 sent, 0 received, 100% loss (Destination Host Unreachable)');
  });
  it('explains why no packet was sent', () => {
    const spec = PingCheck.parse({ to: '10.99.0.1' });
    expect(evaluatePing(spec, probe('ping-network-unreachable'), 'host')).toMatchObject({ pass: false, message: 'ping 10.99.0.1 from host: ping: connect: Network is unreachable' });
    expect(evaluatePing(spec, probe('ping-no-netns'), 'host')).toMatchObject({ pass: false, message: 'ping 10.99.0.1 from host: Cannot open network namespace "nosuchns": No such file or directory' });
  });
  it('expect: no-reply inverts, but a missing netns is never a pass', () => {
    const spec = PingCheck.parse({ to: '192.168.15.3', expect: 'no-reply' });
    expect(evaluatePing(spec, probe('ping-loss'), 'host').pass).toBe(true);
    expect(evaluatePing(spec, probe('ping-ok'), 'host')).toMatchObject({ pass: false });
    expect(evaluatePing(spec, probe('ping-ok'), 'host').message).toMatch(/^192\.168\.15\.3 still answers from host: 2 sent, 2 received/);
    expect(evaluatePing(spec, probe('ping-network-unreachable'), 'host').pass).toBe(true);
    expect(evaluatePing(spec, probe('ping-no-netns'), 'host').pass).toBe(false);
  });
});

describe('http', () => {
  const M = '@@M@@';
  it('parses status and body of each request', () => {
    expect(parseHttp(probes['http-ok']!.stdout, M)).toEqual([{ status: 200, curlExit: 0, body: 'hello from red\n', error: '' }]);
    expect(parseHttp(probes['http-refused']!.stdout, M)[0]).toMatchObject({ status: 0, curlExit: 7 });
    expect(parseHttp(probes['http-repeat']!.stdout, M)).toHaveLength(3);
  });
  it('passes on status and body', () => {
    const spec = HttpCheck.parse({ url: 'http://127.0.0.1:8080/hello.txt', status: 200, bodyMatches: 'hello from \\w+' });
    const o = evaluateHttp(spec, parseHttp(probes['http-ok']!.stdout, M), 'host');
    expect(o).toMatchObject({ pass: true, message: 'http://127.0.0.1:8080/hello.txt from host: status 200', actual: 'status 200; bodies seen: "hello from red"' });
  });
  it('fails on the wrong status, a refused connection, or a body mismatch', () => {
    const url = 'http://127.0.0.1:8080/missing';
    expect(evaluateHttp(HttpCheck.parse({ url, status: 200 }), parseHttp(probes['http-404']!.stdout, M), 'host')).toMatchObject({ pass: false, message: `${url} from host: status 404` });
    expect(evaluateHttp(HttpCheck.parse({ url: 'http://127.0.0.1:8081/' }), parseHttp(probes['http-refused']!.stdout, M), 'host').message).toMatch(
      /^http:\/\/127\.0\.0\.1:8081\/ from host: no response: curl: \(7\) Failed to connect to 127\.0\.0\.1 port 8081 after \d+ ms: Couldn't connect to server$/,
    );
    const o = evaluateHttp(HttpCheck.parse({ url: 'http://127.0.0.1:8080/hello.txt', bodyMatches: 'Hostname' }), parseHttp(probes['http-ok']!.stdout, M), 'host');
    expect(o).toMatchObject({ pass: false, message: 'http://127.0.0.1:8080/hello.txt: the body does not match /Hostname/; got "hello from red"' });
  });
  it('expectAll: every regex must match some body; reports the ones never seen', () => {
    const who = parseHttp(probes['http-who']!.stdout, M);
    expect(who).toHaveLength(3);
    const ok = evaluateHttp(HttpCheck.parse({ url: 'http://127.0.0.1:8080/who', repeat: 3, expectAll: ['^pod-\\d'] }), who, 'host');
    expect(ok.pass).toBe(true);
    const spec = HttpCheck.parse({ url: 'http://127.0.0.1:8080/who', repeat: 3, expectAll: ['^pod-', 'web-2', 'web-3'] });
    const bad = evaluateHttp(spec, who, 'host');
    expect(bad.pass).toBe(false);
    expect(bad.message).toMatch(/^over 3 requests to http:\/\/127\.0\.0\.1:8080\/who, never matched: \/web-2\/, \/web-3\/; bodies seen: "pod-[\d.]+", "pod-[\d.]+", "pod-[\d.]+"$/);
    expect(bad.actual).toMatch(/^3× status 200; bodies seen: /);
  });
  it('HEAD sees the headers', () => {
    const o = evaluateHttp(HttpCheck.parse({ url: 'http://127.0.0.1:8080/hello.txt', method: 'HEAD', bodyMatches: 'Content-Length: 15' }), parseHttp(probes['http-head']!.stdout, M));
    expect(o.pass).toBe(true);
  });
});

describe('dns', () => {
  it('parses dig status and answers', () => {
    expect(parseDig(probes['dig-a']!.stdout)).toEqual({ status: 'NOERROR', records: [{ name: 'web.lab.', type: 'A', data: '10.0.0.10' }] });
    expect(parseDig(probes['dig-nxdomain']!.stdout)).toEqual({ status: 'NXDOMAIN', records: [] });
    expect(parseDig(probes['dig-unreachable']!.stdout)).toEqual({ status: '', records: [], error: 'no servers could be reached' });
  });
  it('answer must be among the records', () => {
    const a = parseDig(probes['dig-a']!.stdout);
    expect(evaluateDns(DnsCheck.parse({ name: 'web.lab', server: '127.0.0.53', answer: '10.0.0.10' }), a)).toMatchObject({ pass: true, message: 'web.lab A → 10.0.0.10' });
    expect(evaluateDns(DnsCheck.parse({ name: 'web.lab', server: '127.0.0.53', answer: '10.0.0.11' }), a)).toMatchObject({
      pass: false,
      message: 'web.lab A via server 127.0.0.53 answers 10.0.0.10, not 10.0.0.11',
    });
  });
  it('CNAME answers compare without the trailing dot', () => {
    const c = parseDig(probes['dig-cname']!.stdout);
    expect(evaluateDns(DnsCheck.parse({ name: 'www.lab', type: 'CNAME', answer: 'web.lab' }), c).pass).toBe(true);
    expect(evaluateDns(DnsCheck.parse({ name: 'www.lab', type: 'A', answerMatches: '^10\\.' }), c)).toMatchObject({
      pass: false,
      message: 'www.lab A via the configured DNS server answers CNAME web.lab.: none matches /^10\\./',
    });
  });
  it('nxdomain and no-answer are told apart', () => {
    const nx = parseDig(probes['dig-nxdomain']!.stdout);
    const empty = parseDig(probes['dig-noanswer']!.stdout);
    expect(evaluateDns(DnsCheck.parse({ name: 'nope.lab', expect: 'nxdomain' }), nx).pass).toBe(true);
    expect(evaluateDns(DnsCheck.parse({ name: 'db.lab', type: 'AAAA', expect: 'nxdomain' }), empty)).toMatchObject({ pass: false, message: 'db.lab still resolves via the configured DNS server: NOERROR, no answer records' });
    expect(evaluateDns(DnsCheck.parse({ name: 'db.lab', type: 'AAAA', expect: 'no-answer' }), empty).pass).toBe(true);
    expect(evaluateDns(DnsCheck.parse({ name: 'nope.lab' }), nx)).toMatchObject({ pass: false, message: 'nope.lab A via the configured DNS server: NXDOMAIN' });
    expect(evaluateDns(DnsCheck.parse({ name: 'web.lab', expect: 'no-answer' }), parseDig(probes['dig-a']!.stdout)).pass).toBe(false);
  });
  it('an unreachable server fails with the reason', () => {
    const o = evaluateDns(DnsCheck.parse({ name: 'web.lab', server: '127.0.0.99', expect: 'nxdomain' }), parseDig(probes['dig-unreachable']!.stdout), 'host');
    expect(o).toMatchObject({ pass: false, message: 'web.lab A from host: no servers could be reached' });
  });
  it('system resolver reads getent', () => {
    const ok = parseGetent(probes['getent-ok']!.stdout, 'db.lab');
    expect(ok).toEqual({ status: 'NOERROR', records: [{ name: 'db.lab', type: 'A', data: '10.0.0.20' }] });
    expect(evaluateDns(DnsCheck.parse({ name: 'db.lab', resolver: 'system', answer: '10.0.0.20' }), ok).pass).toBe(true);
    const missing = parseGetent(probes['getent-missing']!.stdout, 'nope.lab');
    expect(evaluateDns(DnsCheck.parse({ name: 'nope.lab', resolver: 'system' }), missing)).toMatchObject({ pass: false, message: 'nope.lab A via the system resolver: not found' });
    expect(evaluateDns(DnsCheck.parse({ name: 'nope.lab', resolver: 'system', expect: 'nxdomain' }), missing).pass).toBe(true);
  });
});

describe('iptables', () => {
  const dnat = IptablesCheck.parse({ table: 'nat', chain: 'DOCKER', match: '--dport 8080 .*-j DNAT --to-destination 172\\.17\\.0\\.\\d+:80' });
  it('finds a matching rule', () => {
    const o = evaluateIptables(dnat, res(text('ipt-nat-docker.txt')), 'host');
    expect(o).toMatchObject({ pass: true, message: 'nat/DOCKER: -A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80' });
  });
  it('lists the chain when no rule matches', () => {
    const spec = IptablesCheck.parse({ table: 'nat', chain: 'DOCKER', match: '--dport 9090 .*DNAT' });
    const o = evaluateIptables(spec, res(text('ipt-nat-docker.txt')), 'host');
    expect(o.pass).toBe(false);
    expect(o.message).toBe('no rule in nat/DOCKER matches /--dport 9090 .*DNAT/; the chain has: -A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80');
    expect(o.actual).toBe('1 rule(s):\n-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80');
  });
  it('checks the policy of a built-in chain', () => {
    const accept = IptablesCheck.parse({ chain: 'FORWARD', policy: 'ACCEPT' });
    const o = evaluateIptables(accept, res(text('ipt-forward.txt')), 'host');
    expect(o).toMatchObject({ pass: false, message: 'the policy of filter/FORWARD is DROP, not ACCEPT' });
    expect(evaluateIptables(accept, res('-P FORWARD ACCEPT\n'), 'host')).toMatchObject({ pass: true, message: 'the policy of filter/FORWARD is ACCEPT' });
    expect(evaluateIptables(IptablesCheck.parse({ table: 'nat', chain: 'DOCKER', policy: 'ACCEPT' }), res(text('ipt-nat-docker.txt'))).message).toBe('nat/DOCKER is not a built-in chain: it has no policy');
  });
  it('absent: passes only when no rule matches', () => {
    const masq = IptablesCheck.parse({ table: 'nat', chain: 'POSTROUTING', match: 'MASQUERADE', absent: true });
    expect(evaluateIptables(masq, res(text('ipt-nat-postrouting.txt')), 'host')).toMatchObject({ pass: false, message: 'nat/POSTROUTING still has a rule matching /MASQUERADE/: -A POSTROUTING -s 192.168.15.0/24 -j MASQUERADE' });
    expect(evaluateIptables(masq, res('-P POSTROUTING ACCEPT\n'), 'host').pass).toBe(true);
  });
  it('a missing chain fails a positive check and satisfies an absent one', () => {
    const missing = res('', 1, text('ipt-missing.txt'));
    expect(evaluateIptables(IptablesCheck.parse({ table: 'nat', chain: 'NOPE', match: 'x' }), missing, 'host')).toMatchObject({ pass: false, message: 'there is no chain nat/NOPE on host' });
    expect(evaluateIptables(IptablesCheck.parse({ table: 'nat', chain: 'NOPE', match: 'x', absent: true }), missing, 'host').pass).toBe(true);
  });
});

describe('route', () => {
  const red = res(text('route-red.json'));
  it('canonicalises prefixes', () => {
    expect(canonicalPrefix('10.0.2.7/24')).toBe('10.0.2.0/24');
    expect(canonicalPrefix('10.9.9.9')).toBe('10.9.9.9/32');
    expect(canonicalPrefix('0.0.0.0/0')).toBe('default');
  });
  it('finds a route with its gateway and device', () => {
    const o = evaluateRouteOutput(RouteCheck.parse({ dst: '10.0.2.0/24', via: '192.168.15.9', dev: 'veth-red' }), red, 'host (netns red)');
    expect(o).toMatchObject({ pass: true, message: 'host (netns red): 10.0.2.0/24 via 192.168.15.9 dev veth-red' });
    expect(evaluateRouteOutput(RouteCheck.parse({ dst: 'default', via: '192.168.15.5' }), red).pass).toBe(true);
    expect(evaluateRouteOutput(RouteCheck.parse({ dst: '10.9.9.9/32', via: '192.168.15.9' }), red).pass).toBe(true);
    expect(evaluateRouteOutput(RouteCheck.parse({ dst: '192.168.15.0/24', dev: 'veth-red', proto: 'kernel' }), red).pass).toBe(true);
  });
  it('a route by hand has proto boot; a multipath route matches on any next hop', () => {
    expect(evaluateRouteOutput(RouteCheck.parse({ dst: '10.0.2.0/24', proto: 'boot' }), red).pass).toBe(true);
    expect(evaluateRouteOutput(RouteCheck.parse({ dst: '10.7.0.0/16', via: '192.168.15.3', proto: 'static' }), red).pass).toBe(true);
    expect(evaluateRouteOutput(RouteCheck.parse({ dst: '10.7.0.0/16', via: '192.168.15.4' }), red).pass).toBe(false);
  });
  it('says what the route is when the gateway differs', () => {
    const o = evaluateRouteOutput(RouteCheck.parse({ dst: '10.0.2.0/24', via: '192.168.15.1' }), red, 'host (netns red)');
    expect(o).toMatchObject({ pass: false, message: 'the route to 10.0.2.0/24 on host (netns red) is "10.0.2.0/24 via 192.168.15.9 dev veth-red", not via 192.168.15.1' });
  });
  it('lists the table when there is no route to dst', () => {
    const o = evaluateRouteOutput(RouteCheck.parse({ dst: '10.0.3.0/24' }), red, 'host (netns red)');
    expect(o.pass).toBe(false);
    expect(o.message).toBe(
      'no route to 10.0.3.0/24 on host (netns red); the table has: default via 192.168.15.5 dev veth-red | 10.0.2.0/24 via 192.168.15.9 dev veth-red | 10.7.0.0/16 proto static nexthop via 192.168.15.2 dev veth-red nexthop via 192.168.15.3 dev veth-red | 10.9.9.9 via 192.168.15.9 dev veth-red | 192.168.15.0/24 dev veth-red proto kernel scope link src 192.168.15.1',
    );
  });
  it('reads another table and supports absent', () => {
    const t100 = res(text('route-red-100.json'));
    expect(evaluateRouteOutput(RouteCheck.parse({ dst: '172.30.0.0/16', dev: 'veth-red', table: '100' }), t100).pass).toBe(true);
    expect(evaluateRouteOutput(RouteCheck.parse({ dst: '172.30.0.0/16', table: '100', absent: true }), t100, 'host')).toMatchObject({
      pass: false,
      message: 'there is still a route to 172.30.0.0/16 in table 100 on host: 172.30.0.0/16 dev veth-red scope link',
    });
    expect(evaluateRouteOutput(RouteCheck.parse({ dst: '10.0.3.0/24', absent: true }), red).pass).toBe(true);
  });
  it('a missing netns is a failure, even for absent', () => {
    const o = evaluateRouteOutput(RouteCheck.parse({ dst: '10.0.3.0/24', absent: true }), res('', 255, probes['ping-no-netns']!.stderr), 'host (netns nosuchns)');
    expect(o).toMatchObject({ pass: false, message: 'could not read the routes on host (netns nosuchns): Cannot open network namespace "nosuchns": No such file or directory' });
  });
  it('the host table parses', () => {
    const routes = JSON.parse(text('route-host.json')) as IpRoute[];
    expect(routes.some((r) => r.dst === 'default')).toBe(true);
  });
});

describe('link', () => {
  it('a configured veth in a netns', () => {
    const spec = LinkCheck.parse({ name: 'veth-red', type: 'veth', state: 'UP', address: '192.168.15.1/24' });
    const o = evaluateLinkOutput(spec, res(linkOut('veth-red')), 'host (netns red)');
    expect(o).toMatchObject({ pass: true, message: 'host (netns red): veth-red type veth state UP mtu 1500 inet 192.168.15.1/24' });
  });
  it('wrong address or prefix length', () => {
    const out = res(linkOut('veth-red'));
    expect(evaluateLinkOutput(LinkCheck.parse({ name: 'veth-red', address: '192.168.15.2/24' }), out, 'h').message).toBe('veth-red on h: it has 192.168.15.1/24, not 192.168.15.2/24');
    expect(evaluateLinkOutput(LinkCheck.parse({ name: 'veth-red', address: '192.168.15.1/16' }), out, 'h').message).toBe('veth-red on h: it has 192.168.15.1/24, not /16');
  });
  it('a bridge port: master and type', () => {
    const out = res(linkOut('veth-red-br'));
    expect(evaluateLinkOutput(LinkCheck.parse({ name: 'veth-red-br', master: 'v-net-0', state: 'UP' }), out).pass).toBe(true);
    expect(evaluateLinkOutput(LinkCheck.parse({ name: 'veth-red-br', master: 'br0', type: 'bridge' }), out, 'h').message).toBe('veth-red-br on h: its type is veth, not bridge; its master is v-net-0, not br0');
    const bridge = res(linkOut('v-net-0'));
    expect(evaluateLinkOutput(LinkCheck.parse({ name: 'v-net-0', type: 'bridge', state: 'UP', address: '192.168.15.5/24' }), bridge).pass).toBe(true);
  });
  it('a new veth is DOWN without address; admin UP without carrier is not UP, but adminState UP', () => {
    const down = res(linkOut('veth-x-down'));
    const spec = LinkCheck.parse({ name: 'veth-x', state: 'UP', address: '192.168.15.1/24' });
    expect(evaluateLinkOutput(spec, down, 'h').message).toBe('veth-x on h: it is DOWN (bring it up with `ip link set … up`); it has no IPv4 address (expected 192.168.15.1/24)');
    const nocarrier = res(linkOut('veth-x-nocarrier'));
    const up = evaluateLinkOutput(LinkCheck.parse({ name: 'veth-x', state: 'UP' }), nocarrier, 'h');
    expect(up.pass).toBe(false);
    expect(up.message).toBe(
      'veth-x on h: it is administratively up but has no carrier (NO-CARRIER, operstate LOWERLAYERDOWN): the other end (a veth peer, a bridge\'s ports) is down or missing',
    );
    expect(up.actual).toBe('veth-x@veth-y type veth state UP (operstate LOWERLAYERDOWN, no carrier) mtu 1500 no IPv4 address');
    expect(evaluateLinkOutput(LinkCheck.parse({ name: 'veth-x', state: 'DOWN' }), nocarrier, 'h').pass).toBe(true);
    expect(evaluateLinkOutput(LinkCheck.parse({ name: 'veth-x', adminState: 'UP' }), nocarrier, 'h').pass).toBe(true);
    expect(evaluateLinkOutput(LinkCheck.parse({ name: 'veth-x', adminState: 'DOWN' }), nocarrier, 'h').message).toBe('veth-x on h: it is administratively UP');
    expect(evaluateLinkOutput(LinkCheck.parse({ name: 'veth-x', adminState: 'UP' }), down, 'h').message).toBe(
      'veth-x on h: it is administratively DOWN (bring it up with `ip link set … up`)',
    );
  });
  it('the name matches exactly (an altname or another device is not it)', () => {
    expect(evaluateLinkOutput(LinkCheck.parse({ name: 'veth-re' }), res(linkOut('veth-red')), 'h')).toMatchObject({ pass: false, message: 'there is no link veth-re on h' });
  });
  it('a missing device fails, or passes when absent is wanted', () => {
    const missing = res('', 1, text('link-missing.txt'));
    expect(evaluateLinkOutput(LinkCheck.parse({ name: 'veth-nope' }), missing, 'h')).toMatchObject({ pass: false, message: 'there is no link veth-nope on h' });
    expect(evaluateLinkOutput(LinkCheck.parse({ name: 'veth-nope', absent: true }), missing, 'h').pass).toBe(true);
    expect(evaluateLinkOutput(LinkCheck.parse({ name: 'veth-red', absent: true }), res(linkOut('veth-red')), 'h').message).toBe(
      'veth-red still exists on h: veth-red type veth state UP mtu 1500 inet 192.168.15.1/24',
    );
  });
  it('a missing netns is a failure, even for absent', () => {
    const o = evaluateLinkOutput(LinkCheck.parse({ name: 'veth-red', absent: true }), res('', 255, 'Cannot open network namespace "red": No such file or directory\n'), 'h (netns red)');
    expect(o).toMatchObject({ pass: false, message: 'could not look at veth-red on h (netns red): Cannot open network namespace "red": No such file or directory' });
  });
});

describe('netns, sysctl, file, capture, iptables-legacy (out-of-band kinds)', () => {
  const mounts = parseMountinfo(
    ['45 71 0:39 / /run/netns rw shared:2 - tmpfs tmpfs rw', '55 45 0:4 net:[4026532254] /run/netns/red-1 rw shared:3 - nsfs nsfs rw'].join('\n'),
  );
  it('netns: the name matches exactly, and a near name is pointed out', () => {
    expect(evaluateNetns(NetnsCheck.parse({ name: 'red-1' }), mounts, 'h')).toMatchObject({ pass: true, message: 'h has network namespace red-1' });
    expect(evaluateNetns(NetnsCheck.parse({ name: 'red' }), mounts, 'h')).toMatchObject({
      pass: false,
      message: 'there is no network namespace red on h (there is red-1: the name must match exactly)',
      actual: 'network namespaces: red-1',
    });
    expect(evaluateNetns(NetnsCheck.parse({ name: 'red', absent: true }), mounts, 'h').pass).toBe(true);
    expect(evaluateNetns(NetnsCheck.parse({ name: 'red-1', absent: true }), mounts, 'h')).toMatchObject({ pass: false, message: 'red-1 still exists on h' });
  });
  it('sysctl: the live value, per field', () => {
    const spec = SysctlCheck.parse({ key: 'net.ipv4.ip_forward', equals: '1' });
    expect(sysctlPath('net.ipv4.conf.eth0/100.rp_filter')).toBe('/proc/sys/net/ipv4/conf/eth0.100/rp_filter');
    expect(evaluateSysctl(spec, res('1\n'), 'h')).toMatchObject({ pass: true, message: 'h: net.ipv4.ip_forward = 1' });
    expect(evaluateSysctl(spec, res('0\n'), 'h')).toMatchObject({ pass: false, message: 'net.ipv4.ip_forward on h is 0, not 1' });
    expect(evaluateSysctl(SysctlCheck.parse({ key: 'net.ipv4.tcp_rmem', equals: '4096 131072 6291456' }), res('4096\t131072\t6291456\n')).pass).toBe(true);
    expect(evaluateSysctl(SysctlCheck.parse({ key: 'net.ipv4.conf.nope.proxy_arp', equals: '1' }), res('', 1, "cat: /proc/sys/net/ipv4/conf/nope/proxy_arp: No such file or directory\n"), 'h').message).toBe(
      'there is no sysctl net.ipv4.conf.nope.proxy_arp on h',
    );
    expect(() => SysctlCheck.parse({ key: 'kernel.core_pattern', equals: '1' })).toThrow(/net\.\* sysctl key/);
  });
  it('file: whole-content and per-line regexes, absence', () => {
    const read = (t: string) => ({ kind: 'file' as const, content: Buffer.from(t), size: t.length, truncated: false });
    const conf = 'search cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n';
    expect(evaluateFile(FileCheck.parse({ path: '/etc/resolv.conf', lineMatches: '^options .*ndots:5' }), read(conf), 'h')).toMatchObject({ pass: true, message: '/etc/resolv.conf on h: options ndots:5' });
    expect(evaluateFile(FileCheck.parse({ path: '/etc/resolv.conf', lineMatches: '^options .*ndots:5' }), read('nameserver 10.96.0.10\n'), 'h').message).toBe(
      '/etc/resolv.conf on h: no line matches /^options .*ndots:5/',
    );
    expect(evaluateFile(FileCheck.parse({ path: '/x', matches: 'a\\nb' }), read('a\nb\n'), 'h').pass).toBe(true);
    expect(evaluateFile(FileCheck.parse({ path: '/x' }), { kind: 'absent', why: '/x does not exist' }, 'h')).toMatchObject({ pass: false, message: 'there is no file /x on h' });
    expect(evaluateFile(FileCheck.parse({ path: '/x', absent: true }), { kind: 'absent', why: '/x does not exist' }, 'h').pass).toBe(true);
    expect(evaluateFile(FileCheck.parse({ path: '/x', absent: true }), { kind: 'other', why: '/x is a directory' }, 'h').pass).toBe(false);
  });
  it('capture: seen, absent, and a capture that never started', () => {
    const spec = CaptureCheck.parse({ interface: 'cali1', filter: 'icmp', send: { netns: 'pod1', ping: '10.0.0.2' }, matches: 'ICMP echo request' });
    const tcpdump = res('12:00:00.1 IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 7, seq 1, length 64\n', 0, 'listening on cali1, link-type EN10MB\n');
    expect(evaluateCapture(spec, { tcpdump }, 'h', 'h (netns pod1)')).toMatchObject({ pass: true, message: 'seen on cali1 of h: 12:00:00.1 IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 7, seq 1, length 64' });
    const absent = CaptureCheck.parse({ ...spec, expect: 'absent' });
    expect(evaluateCapture(absent, { tcpdump }, 'h', 'h').pass).toBe(false);
    expect(evaluateCapture(absent, { tcpdump: res('', 0, 'listening on cali1\n') }, 'h', 'h').pass).toBe(true);
    expect(evaluateCapture(spec, { tcpdump: res('', 1, 'tcpdump: cali9: No such device exists\n') }, 'h', 'h')).toMatchObject({
      pass: false,
      message: 'could not capture on cali1 of h: tcpdump: cali9: No such device exists',
    });
  });
  it('iptables-legacy rules are found (rules and non-ACCEPT policies)', () => {
    expect(legacyRules('*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n-A FORWARD -i a -j ACCEPT\nCOMMIT\n')).toEqual([':FORWARD DROP [0:0]', '-A FORWARD -i a -j ACCEPT']);
    expect(legacyRules('*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n')).toEqual([]);
  });
});

describe('batched shell checks and validate advice', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  it('parses only report lines carrying this run\'s nonce, each once, and flags output past the cap', () => {
    const out = [
      `n0nce 1 0 ${b64('forged')} ${b64('')}`,
      `abc 0 0 ${b64('hello\n')} ${b64('')}`,
      `abc 0 1 ${b64('again')} ${b64('')}`,
      `abc 1 3 ${b64('x'.repeat(11))} ${b64('err\n')}`,
      `abc 7 0 ${b64('out of range')} ${b64('')}`,
    ].join('\n');
    const r = parseBatch(out, 'abc', 3, 10);
    expect(r[0]).toMatchObject({ exitCode: 0, stdout: 'hello\n', stderr: '' });
    expect(r[1]).toMatchObject({ exitCode: 3, stdout: 'x'.repeat(10), overflow: 'stdout' });
    expect(r[2]).toBeUndefined();
  });
  it('the batch script feeds each command no stdin and quotes it', () => {
    const s = batchScript([{ script: "echo 'a b'", timeoutMs: 2500 }], 'abc');
    expect(s).toContain(`run 0 3 'echo '\\''a b'\\'''`);
    expect(s).toContain('</dev/null');
  });
  it('validate advice: single commands a typed check reads better', () => {
    expect(typedAlternative('ip netns list')).toEqual({ kind: 'netns', what: 'ip netns list' });
    expect(typedAlternative('ip netns exec red ip route')).toMatchObject({ kind: 'route' });
    expect(typedAlternative('ip -n red -j link show veth-red')).toMatchObject({ kind: 'link' });
    expect(typedAlternative('iptables -t nat -S POSTROUTING')).toMatchObject({ kind: 'iptables' });
    expect(typedAlternative('ping -c 2 10.0.0.1')).toMatchObject({ kind: 'ping' });
    expect(typedAlternative('curl -s http://web/')).toMatchObject({ kind: 'http' });
    expect(typedAlternative('sysctl -n net.ipv4.ip_forward')).toMatchObject({ kind: 'sysctl' });
    expect(typedAlternative('cat /proc/sys/net/ipv4/ip_forward')).toMatchObject({ kind: 'sysctl' });
    expect(typedAlternative('ip route | grep -q default')).toBeUndefined();
    expect(typedAlternative('ip netns exec red curl -s web && echo ok')).toBeUndefined();
    expect(typedAlternative('docker exec web ip route')).toBeUndefined();
  });
});
