import { expect, test } from '@jest/globals';
import { AssignerProtocol } from 'kafkajs';
import { assignSubscribed, subscribedRoundRobin, SUBSCRIBED_ROUND_ROBIN } from '../../src/connectors/log/kafka-assigner.js';

const sub = (memberId: string, topics: string[]) => ({ memberId, topics: new Set(topics), counts: {} });

test('partitions of a topic go only to the members subscribed to it, round robin, whoever is leader', () => {
  const plan = assignSubscribed([sub('b', ['x', 'y']), sub('a', ['x', 'y']), sub('c', ['other'])], (t) => (t === 'other' ? 2 : 3));
  expect(Object.fromEntries(plan)).toEqual({
    a: { x: [0, 2], y: [1] },
    b: { x: [1], y: [0, 2] },
    c: { other: [0, 1] },
  });
});

test('every partition of every subscribed topic is assigned exactly once; unknown topics are left out', () => {
  const subs = [sub('m1', ['p', 'q']), sub('m2', ['q']), sub('m3', ['p', 'r'])];
  const counts: Record<string, number> = { p: 4, q: 5, r: 0 };
  const plan = assignSubscribed(subs, (t) => counts[t] ?? 0);
  const seen: string[] = [];
  for (const [m, a] of plan)
    for (const [t, ps] of Object.entries(a))
      for (const p of ps) {
        expect(subs.find((s) => s.memberId === m)!.topics.has(t)).toBe(true);
        seen.push(`${t}:${p}`);
      }
  expect(seen.sort()).toEqual([...['p:0', 'p:1', 'p:2', 'p:3'], ...['q:0', 'q:1', 'q:2', 'q:3', 'q:4']].sort());
});

test('the leader deals topics it does not consume from the partition counts the members announce', async () => {
  const cluster = { findTopicPartitionMetadata: (t: string) => (t === 'mine' ? [{}, {}] : []) };
  const assigner = subscribedRoundRobin({ cluster, groupId: 'g', logger: null } as never);
  const leader = assigner.protocol({ topics: ['mine'] });
  const theirs = {
    name: SUBSCRIBED_ROUND_ROBIN,
    metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics: ['theirs'], userData: Buffer.from(JSON.stringify({ theirs: 3 })) }),
  };
  const out = await assigner.assign({
    members: [
      { memberId: 'L', memberMetadata: leader.metadata },
      { memberId: 'T', memberMetadata: theirs.metadata },
    ],
    topics: ['mine'],
  });
  const decoded = Object.fromEntries(out.map((o) => [o.memberId, AssignerProtocol.MemberAssignment.decode(o.memberAssignment)!.assignment]));
  expect(decoded).toEqual({ L: { mine: [0, 1] }, T: { theirs: [0, 1, 2] } });
});
