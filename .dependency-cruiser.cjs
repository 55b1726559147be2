/**
 * Import rules between the folders of lib/: storage and wake-ups are two seams that share only
 * lib/encoding; the store is assembled in lib/assembly, which neither seam knows; Redis client
 * libraries are reached only through lib/redis.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'storage-and-wakeup-apart',
      comment: 'Storage and wake-ups do not import each other: what both need lives in lib/encoding.',
      severity: 'error',
      from: { path: '^lib/(storage|wakeup)/' },
      to: { path: '^lib/(storage|wakeup)/', pathNot: '^lib/$1/' },
    },
    {
      name: 'seams-not-to-assembly',
      comment: 'The seams do not know how they are put together.',
      severity: 'error',
      from: { path: '^lib/(storage|wakeup|encoding|redis)/' },
      to: { path: '^lib/assembly/' },
    },
    {
      name: 'encoding-depends-on-no-seam',
      comment: 'lib/encoding is what both seams share, so it imports neither.',
      severity: 'error',
      from: { path: '^lib/encoding/' },
      to: { path: '^lib/(storage|wakeup|redis|assembly)/' },
    },
    {
      name: 'redis-clients-only-in-the-redis-seam',
      comment: 'Only lib/redis talks to a Redis client library; everything else goes through it.',
      severity: 'error',
      from: { path: '^lib/', pathNot: '^lib/redis/' },
      to: { path: '(^|/)node_modules/(@redis/|redis/|@keyv/redis/|@keyv/valkey/|iovalkey/|ioredis/)' },
    },
    {
      name: 'terminus-only-at-its-entry-point',
      comment:
        'Only nestjs-sse-event-store/terminus loads @nestjs/terminus (an optional peer), and nothing else in lib/ imports it: the other entry points load without it.',
      severity: 'error',
      from: { path: '^lib/', pathNot: '^lib/terminus/' },
      to: { path: '^lib/terminus/|(^|/)node_modules/@nestjs/terminus/' },
    },
    {
      name: 'no-circular',
      comment: 'No import cycles.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
