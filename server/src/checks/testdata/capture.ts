// Re-records the command output the checker tests read: starts a throwaway netdojo/netbox
// container, builds the documents' red/blue/green + v-net-0 setup, runs the checkers' own
// probe commands, saves their output here, and removes the container.
// Run: npx tsx server/src/checks/testdata/capture.ts [image]   (needs Docker)
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { DnsCheck, HttpCheck, PingCheck } from '../../labs/schema.js';
import { dnsCommand } from '../dns.js';
import { httpCommand } from '../http.js';
import { pingCommand } from '../ping.js';

const image = process.argv[2] ?? 'netdojo/netbox';
const name = `netdojo-capture-${randomBytes(4).toString('hex')}`;
const here = new URL('.', import.meta.url);
const sh = (script: string, netns?: string) => {
  const cmd = netns ? ['ip', 'netns', 'exec', netns, 'bash', '-c', script] : ['bash', '-c', script];
  const r = spawnSync('docker', ['exec', name, ...cmd], { encoding: 'utf8' });
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.status ?? -1 };
};
const save = (file: string, script: string, netns?: string) => {
  const r = sh(script, netns);
  writeFileSync(new URL(file, here), r.exitCode === 0 ? r.stdout : r.stderr);
};

const SETUP = String.raw`
set -e
ip link add v-net-0 type bridge; ip link set v-net-0 up; ip addr add 192.168.15.5/24 dev v-net-0
for pair in "red 1" "blue 2" "green 3"; do set -- $pair; n=$1; a=$2
  ip netns add $n; ip link add veth-$n type veth peer name veth-$n-br
  ip link set veth-$n netns $n; ip link set veth-$n-br master v-net-0; ip link set veth-$n-br up
  ip -n $n addr add 192.168.15.$a/24 dev veth-$n; ip -n $n link set veth-$n up
done
ip -n green link set veth-green down
ip -n red route add 10.0.2.0/24 via 192.168.15.9
ip -n red route add 10.9.9.9 via 192.168.15.9
ip -n red route add default via 192.168.15.5
ip -n red route add 10.7.0.0/16 proto static nexthop via 192.168.15.2 nexthop via 192.168.15.3
ip -n red route add 172.30.0.0/16 table 100 dev veth-red
ip link add veth-x type veth peer name veth-y
iptables -t nat -N DOCKER
iptables -t nat -A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80
iptables -t nat -A POSTROUTING -s 192.168.15.0/24 -j MASQUERADE
mkdir -p /srv/www; echo "hello from red" > /srv/www/hello.txt; printf "<h1>index</h1>\n" > /srv/www/index.html
printf 'server { listen 127.0.0.1:8080; root /srv/www; location /who { return 200 "pod-$msec\\n"; } }\n' > /etc/nginx/conf.d/cap.conf
nginx
ip addr add 127.0.0.53/8 dev lo
dnsmasq --no-resolv --no-hosts --listen-address=127.0.0.53 --bind-interfaces --local=/lab/ --address=/web.lab/10.0.0.10 --cname=www.lab,web.lab --host-record=db.lab,10.0.0.20
echo "10.0.0.20 db.lab" >> /etc/hosts
sleep 0.5
`;

const run = spawnSync('docker', ['run', '-d', '--name', name, '--label', 'netdojo.capture=1', '--cap-add', 'NET_ADMIN', '--cap-add', 'SYS_ADMIN', '-v', '/sys:/run/host-sys:ro', image], { encoding: 'utf8' });
if (run.status !== 0) throw new Error(run.stderr);
try {
  const setup = sh(SETUP);
  if (setup.exitCode !== 0) throw new Error(`setup failed: ${setup.stderr}`);
  save('link-veth-red.json', 'ip -j -d link show dev veth-red', 'red');
  save('addr-veth-red.json', 'ip -j addr show dev veth-red', 'red');
  for (const dev of ['veth-red-br', 'v-net-0']) {
    save(`link-${dev}.json`, `ip -j -d link show dev ${dev}`);
    save(`addr-${dev}.json`, `ip -j addr show dev ${dev}`);
  }
  save('link-veth-x-down.json', 'ip -j -d link show dev veth-x');
  save('addr-veth-x-down.json', 'ip -j addr show dev veth-x');
  sh('ip link set veth-x up');
  save('link-veth-x-nocarrier.json', 'ip -j -d link show dev veth-x');
  save('addr-veth-x-nocarrier.json', 'ip -j addr show dev veth-x');
  save('link-missing.txt', 'ip -j -d link show dev veth-nope');
  save('route-red.json', 'ip -j route show', 'red');
  save('route-red-100.json', 'ip -j route show table 100', 'red');
  save('route-host.json', 'ip -j route show');
  save('ipt-nat-docker.txt', 'iptables -t nat -S DOCKER');
  save('ipt-nat-postrouting.txt', 'iptables -t nat -S POSTROUTING');
  save('ipt-missing.txt', 'iptables -t nat -S NOPE');

  const probes: Record<string, ReturnType<typeof sh>> = {};
  const ping = (to: string, count = 2) => pingCommand(PingCheck.parse({ to, count }));
  probes['ping-ok'] = sh(ping('192.168.15.2'), 'red');
  probes['ping-loss'] = sh(ping('192.168.15.3', 3), 'red'); // green's end is down
  probes['ping-network-unreachable'] = sh(ping('10.99.0.1'), 'blue');
  probes['ping-unknown-name'] = sh(ping('nosuchhost.invalid'), 'blue');
  probes['ping-no-netns'] = sh(ping('192.168.15.2'), 'nosuchns');
  sh('iptables -P FORWARD DROP');
  save('ipt-forward.txt', 'iptables -S FORWARD');
  probes['ping-forward-drop'] = sh(ping('192.168.15.2'), 'red');
  const dns = (o: object) => dnsCommand(DnsCheck.parse(o));
  probes['dig-a'] = sh(dns({ name: 'web.lab', server: '127.0.0.53' }));
  probes['dig-cname'] = sh(dns({ name: 'www.lab', server: '127.0.0.53' }));
  probes['dig-nxdomain'] = sh(dns({ name: 'nope.lab', server: '127.0.0.53' }));
  probes['dig-noanswer'] = sh(dns({ name: 'db.lab', type: 'AAAA', server: '127.0.0.53' }));
  probes['dig-unreachable'] = sh(dns({ name: 'web.lab', server: '127.0.0.99' }));
  probes['getent-ok'] = sh(dns({ name: 'db.lab', resolver: 'system' }));
  probes['getent-missing'] = sh(dns({ name: 'nope.lab', resolver: 'system' }));
  const http = (o: object) => httpCommand(HttpCheck.parse(o), '@@M@@');
  probes['http-ok'] = sh(http({ url: 'http://127.0.0.1:8080/hello.txt' }));
  probes['http-404'] = sh(http({ url: 'http://127.0.0.1:8080/missing' }));
  probes['http-refused'] = sh(http({ url: 'http://127.0.0.1:8081/' }));
  probes['http-repeat'] = sh(http({ url: 'http://127.0.0.1:8080/', repeat: 3 }));
  probes['http-who'] = sh(http({ url: 'http://127.0.0.1:8080/who', repeat: 3 }));
  probes['http-head'] = sh(http({ url: 'http://127.0.0.1:8080/hello.txt', method: 'HEAD' }));
  writeFileSync(new URL('probes.json', here), `${JSON.stringify(probes, null, 1)}\n`);
} finally {
  spawnSync('docker', ['rm', '-f', name]);
}
