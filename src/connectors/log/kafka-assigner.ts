/**
 * Partition assigner of pinpipe's Kafka consumer groups that respects each member's subscription.
 *
 * kafkajs's RoundRobinAssigner deals the leader's own topics out to every member of the group,
 * subscribed to them or not, and a member drops partitions of topics it did not subscribe to. When
 * processes with different topic sets share a group id (two pipelines with different topic
 * prefixes and the default group, or tests running side by side), the partitions dealt to the
 * other process are then consumed by nobody, and as that member is alive no rebalance ever frees
 * them (consume-stream waited for them forever). Here every topic any member subscribes to is
 * dealt round robin among the members subscribed to it only. Each member announces the partition
 * counts of its topics in its subscription's user data, so the leader needs no metadata of topics
 * it does not consume itself.
 */
import { AssignerProtocol, type Assigner, type GroupMember, type GroupMemberAssignment, type PartitionAssigner } from 'kafkajs';

export const SUBSCRIBED_ROUND_ROBIN = 'PinpipeSubscribedRoundRobin';
const VERSION = 0;

interface Subscription {
  memberId: string;
  topics: Set<string>;
  counts: Record<string, number>;
}

function decode(m: GroupMember): Subscription {
  const md = AssignerProtocol.MemberMetadata.decode(m.memberMetadata);
  let counts: Record<string, number> = {};
  try {
    const parsed: unknown = md?.userData?.length ? JSON.parse(md.userData.toString('utf8')) : {};
    if (parsed && typeof parsed === 'object') counts = parsed as Record<string, number>;
  } catch {
    counts = {};
  }
  return { memberId: m.memberId, topics: new Set(md?.topics ?? []), counts };
}

/**
 * Pure assignment: topics in name order, partitions in order, dealt round robin over the members
 * (memberId order) subscribed to the topic, continuing where the previous partition stopped.
 * `partitions(topic)` is the partition count (0: not known, the topic is left out).
 */
export function assignSubscribed(subs: Subscription[], partitions: (topic: string) => number): Map<string, Record<string, number[]>> {
  const members = [...subs].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  const out = new Map<string, Record<string, number[]>>(members.map((m) => [m.memberId, {}]));
  const topics = [...new Set(members.flatMap((m) => [...m.topics]))].sort();
  let next = 0;
  for (const topic of topics) {
    const n = partitions(topic);
    for (let p = 0; p < n; p++) {
      for (let i = 0; i < members.length; i++) {
        const m = members[(next + i) % members.length]!;
        if (!m.topics.has(topic)) continue;
        (out.get(m.memberId)![topic] ??= []).push(p);
        next = (next + i + 1) % members.length;
        break;
      }
    }
  }
  return out;
}

export const subscribedRoundRobin: PartitionAssigner = ({ cluster }) => {
  const count = (topic: string): number => {
    try {
      return cluster.findTopicPartitionMetadata(topic).length;
    } catch {
      return 0;
    }
  };
  const assigner: Assigner = {
    name: SUBSCRIBED_ROUND_ROBIN,
    version: VERSION,
    async assign({ members }): Promise<GroupMemberAssignment[]> {
      const subs = members.map(decode);
      const announced = (topic: string) => Math.max(0, ...subs.map((s) => (Number.isInteger(s.counts[topic]) ? s.counts[topic]! : 0)));
      const plan = assignSubscribed(subs, (topic) => count(topic) || announced(topic));
      return [...plan].map(([memberId, assignment]) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: VERSION, assignment, userData: Buffer.alloc(0) }),
      }));
    },
    protocol({ topics }) {
      const counts: Record<string, number> = {};
      for (const t of topics) counts[t] = count(t);
      return {
        name: SUBSCRIBED_ROUND_ROBIN,
        metadata: AssignerProtocol.MemberMetadata.encode({ version: VERSION, topics, userData: Buffer.from(JSON.stringify(counts)) }),
      };
    },
  };
  return assigner;
};
