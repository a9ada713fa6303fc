/** The member table of the store (see types.ts). */
export * from './types.js';
export { MembersState, type MembersSnapshotData } from './members-state.js';
export { isMemberStore, type MemberStore } from './member-store.js';
export { decodeMembers, encodeMembers, memberRecordOf, validateMemberRecord } from './snapshot.js';
export { serfMember, type SerfMember } from './serf-json.js';
