// `netdojo new <track>/<id>`: a lab folder with a commented lab.yaml that validates and replays
// as generated (one host, one step with setup, solve and two checks, en/ko text).
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UserError } from '../util/errors.js';
import { LAB_FILE, relPosix, SCHEMA_FILE, schemaFileFor } from '../labs/paths.js';

const ID = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

export interface ScaffoldOptions {
  /** `<track>/<id>` */
  name: string;
  /** the catalog folder (default `labs`) */
  labsDir?: string;
  /** English title (default: the id in words) */
  title?: string;
  force?: boolean;
}

export interface Scaffolded {
  dir: string;
  file: string;
  track: string;
  id: string;
}

export function parseLabName(name: string): { track: string; id: string } {
  const parts = name.replace(/\/+$/, '').split('/');
  if (parts.length !== 2) throw new UserError(`expected <track>/<id>, such as linux/my-lab, got '${name}'`);
  const [track, id] = parts as [string, string];
  for (const [what, v] of [['track', track], ['id', id]] as const)
    if (!ID.test(v)) throw new UserError(`invalid ${what} '${v}': lower-case letters, digits and dashes, starting and ending with a letter or digit`);
  return { track, id };
}

const pad = (s: string): string => `${s} `.padEnd(33);
const yamlString = (s: string): string => JSON.stringify(s);

/** The text of a new lab file; `schemaRef` is the `$schema=` path relative to the lab folder. */
export function scaffoldText(track: string, id: string, schemaRef: string, title?: string): string {
  const en = title ?? id.replace(/-/g, ' ').replace(/^./, (c) => c.toUpperCase());
  return `# yaml-language-server: $schema=${schemaRef}
# A netdojo lab. The guide: docs/authoring.md; every field: docs/reference.md.
#   netdojo validate <this folder>   check the file (also done on every save by \`netdojo dev\`)
#   netdojo dev <this folder>        a live sandbox and a prompt: check, solve, replay, shell
#   netdojo replay <this folder>     what CI runs: each check must fail before its solve, pass after
apiVersion: netdojo/v1
kind: Lab
${pad(`id: ${id}`)}# must equal the folder name
title:                           # text: a string, or {en, ko} (the UI falls back to en)
  en: ${yamlString(en)}
  ko: ${yamlString(en)}
description:
  en: One interface, one address, one ping — replace this with your lab.
  ko: 인터페이스 하나, 주소 하나, ping 하나 — 이 내용을 실습에 맞게 바꾸세요.
${pad(`track: ${track}`)}# the folder above this one
after: []                        # the labs this one builds on: catalogs list it after them
level: beginner                  # beginner | intermediate | advanced
minutes: 10
source: ""                       # the document and section this lab replays
requires: [docker]               # the replay skips the lab (with the reason) where these are missing
environment:
  provider: docker               # docker (one container per host) | kind (a Kubernetes cluster)
  hosts:
    - name: host                 # more hosts = more containers; add networks: to wire them
      image: netdojo/netbox       # the default image (iproute2, iptables, curl, dig, whoami-server …)
steps:
  - id: bring-up-lab0
    title:
      en: Give lab0 an address and bring it up
      ko: lab0에 주소를 주고 활성화하기
    text:                        # markdown; \`\`\`bash run blocks become click-to-run in the UI
      en: |
        An interface \`lab0\` is waiting on this host, without an address and down. Give it
        \`10.10.0.1/24\`, bring it up and ping it:

        \`\`\`bash run
        ip addr add 10.10.0.1/24 dev lab0
        ip link set lab0 up
        ping -c 1 10.10.0.1
        \`\`\`
      ko: |
        이 호스트에는 주소가 없고 down 상태인 \`lab0\` 인터페이스가 있습니다. \`10.10.0.1/24\`를
        할당하고, 활성화한 뒤 ping을 보내 보세요:

        \`\`\`bash run
        ip addr add 10.10.0.1/24 dev lab0
        ip link set lab0 up
        ping -c 1 10.10.0.1
        \`\`\`
    setup:                       # hidden preparation, runs before the step (bash -e)
      - run: |                   # the far end is up, so lab0 gets carrier once it is up itself
          ip link add lab0 type veth peer name lab0-peer
          ip link set lab0-peer up
    solve:                       # the reference solution: replay and "Solve step" run it (twice: keep it repeatable)
      - run: |
          ip addr replace 10.10.0.1/24 dev lab0
          ip link set lab0 up
    nearMisses:                  # plausible wrong actions: replay proves a check still fails after each
      - id: address-only
        why: { en: an address is enough; the interface comes up by itself, ko: 주소만 주면 인터페이스가 저절로 올라온다 }
        solve: [{ run: ip addr add 10.10.0.1/24 dev lab0 }]
        fails: lab0-up
    checks:                      # each must FAIL before the solve and PASS after it
      - id: lab0-up
        title: { en: lab0 has 10.10.0.1/24 and is up, ko: lab0에 10.10.0.1/24가 있고 up 상태다 }
        link: { name: lab0, address: 10.10.0.1/24, state: UP }
        hint: { en: "\`ip addr add 10.10.0.1/24 dev lab0\`, then \`ip link set lab0 up\`.", ko: "\`ip addr add 10.10.0.1/24 dev lab0\` 다음 \`ip link set lab0 up\`." }
      - id: lab0-answers
        title: { en: 10.10.0.1 answers ping, ko: 10.10.0.1이 ping에 응답한다 }
        ping: { to: 10.10.0.1 }
`;
}

export async function scaffoldLab(opts: ScaffoldOptions): Promise<Scaffolded> {
  const { track, id } = parseLabName(opts.name);
  const dir = resolve(opts.labsDir ?? 'labs', track, id);
  const file = join(dir, LAB_FILE);
  if (existsSync(file) && !opts.force) throw new UserError(`${file} already exists (use --force to overwrite it)`);
  await mkdir(dir, { recursive: true });
  const schemaRef = relPosix(dir, schemaFileFor(file) ?? SCHEMA_FILE);
  await writeFile(file, scaffoldText(track, id, schemaRef, opts.title));
  return { dir, file, track, id };
}
