// A preload (`node --import ./scripts/net-guard.mjs`) that keeps a process on this machine: every
// TCP connection (net, http, https, tls, fetch) goes through net.Socket#connect, which this
// replaces. A connection to an address outside loopback, or outside the networks NET_GUARD_ALLOW
// names (comma-separated CIDRs, for network namespaces a test creates itself), is refused before
// any packet leaves: the socket fails with ENETGUARD, and the attempt is recorded as one JSON line
// in the file NET_GUARD_LOG (stderr without it). scripts/test.mjs loads it into every process the
// tests start (NODE_OPTIONS) and fails the run when a line was recorded. Names are checked on what
// they resolve to, in the lookup the socket itself uses; Unix sockets are left alone.
import { appendFileSync } from 'node:fs'
import dns from 'node:dns'
import net from 'node:net'

const allowed = new net.BlockList()
allowed.addSubnet('127.0.0.0', 8, 'ipv4')
allowed.addAddress('::1', 'ipv6')
for (const cidr of (process.env.NET_GUARD_ALLOW ?? '').split(',')) {
  const [address = '', bits] = cidr.trim().split('/')
  const family = net.isIP(address)
  if (family === 0) continue
  const type = family === 6 ? 'ipv6' : 'ipv4'
  if (bits === undefined) allowed.addAddress(address, type)
  else allowed.addSubnet(address, Number(bits), type)
}

function isAllowed(address) {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1]
  const plain = mapped ?? address
  const family = net.isIP(plain)
  return family !== 0 && allowed.check(plain, family === 6 ? 'ipv6' : 'ipv4')
}

function refusal(host, port, address) {
  const record = {
    pid: process.pid,
    script: process.argv[1] ?? '',
    host,
    address,
    port,
    at: new Date().toISOString(),
    stack: new Error().stack?.split('\n').slice(3, 9).join('\n'),
  }
  const line = JSON.stringify(record) + '\n'
  if (process.env.NET_GUARD_LOG) appendFileSync(process.env.NET_GUARD_LOG, line)
  else process.stderr.write(`net-guard: ${line}`)
  const error = new Error(
    `net-guard: connection to ${host}${address === host ? '' : ` (${address})`}:${port} refused: tests stay on loopback`,
  )
  error.code = 'ENETGUARD'
  return error
}

/** The options object and callback of any form of Socket#connect. */
function normalize(args) {
  // net.connect / createConnection pass one array, already normalized.
  if (Array.isArray(args[0])) return { options: args[0][0], callback: args[0][1], array: args[0] }
  const [first, second, third] = args
  if (first !== null && typeof first === 'object')
    return { options: first, callback: typeof second === 'function' ? second : undefined }
  if (typeof first === 'string' && !/^\d+$/.test(first))
    return { options: { path: first }, callback: typeof second === 'function' ? second : undefined }
  return typeof second === 'string'
    ? { options: { port: first, host: second }, callback: third }
    : { options: { port: first }, callback: typeof second === 'function' ? second : undefined }
}

const connect = net.Socket.prototype.connect
net.Socket.prototype.connect = function guardedConnect(...args) {
  const { options, callback, array } = normalize(args)
  // A Unix socket, as net decides it (a path that is not empty; https passes path: null).
  if (typeof options.path === 'string' && options.path !== '') return connect.apply(this, args)
  const host = options.host ?? 'localhost'
  const port = options.port
  if (net.isIP(host) !== 0) {
    if (isAllowed(host)) return connect.apply(this, args)
    const error = refusal(host, port, host)
    process.nextTick(() => this.destroy(error))
    return this
  }
  // A name: judged on every address it resolves to, where the socket looks it up.
  const lookup = options.lookup ?? dns.lookup
  const guardedLookup = (hostname, lookupOptions, done) => {
    lookup(hostname, lookupOptions, (error, address, family) => {
      if (error) return done(error, address, family)
      const addresses = Array.isArray(address) ? address.map((a) => a.address) : [address]
      const refused = addresses.find((a) => !isAllowed(a))
      if (refused !== undefined) return done(refusal(hostname, port, refused))
      done(null, address, family)
    })
  }
  const guarded = { ...options, lookup: guardedLookup }
  if (array !== undefined) {
    array[0] = guarded
    return connect.call(this, array)
  }
  return callback === undefined
    ? connect.call(this, guarded)
    : connect.call(this, guarded, callback)
}
