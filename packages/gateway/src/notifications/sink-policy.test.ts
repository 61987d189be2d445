/**
 * Issue 14: the sink policy over the IANA special-purpose address registries (IPv4 and IPv6,
 * https://www.iana.org/assignments/iana-ipv4-special-registry and iana-ipv6-special-registry),
 * the multicast and reserved blocks, and every IPv6 form that carries an IPv4 address. Each entry
 * is checked where a subscription is created (`checkSink`) and where a delivery connects
 * (`sinkTarget`'s lookup, and an IP literal in the URL), in production and in sandbox mode.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { checkSink, sinkTarget, type SinkPolicy } from './sink-policy.js'

type Allowed = 'never' | 'sandbox' | 'private' | 'always'

/** [registry entry, an address in it, where it may receive notifications]. */
const REGISTRY: readonly (readonly [string, string, Allowed])[] = [
  // IPv4 special-purpose registry
  ['0.0.0.0/8 "this network"', '0.1.2.3', 'never'],
  ['10.0.0.0/8 private-use', '10.1.2.3', 'private'],
  ['100.64.0.0/10 shared address space', '100.64.1.1', 'private'],
  ['127.0.0.0/8 loopback', '127.0.0.1', 'sandbox'],
  ['127.0.0.0/8 loopback (not .1)', '127.255.0.9', 'sandbox'],
  ['169.254.0.0/16 link local', '169.254.169.254', 'private'],
  ['172.16.0.0/12 private-use', '172.31.255.254', 'private'],
  ['192.0.0.0/24 IETF protocol assignments', '192.0.0.1', 'never'],
  ['192.0.0.0/29 IPv4 service continuity prefix', '192.0.0.4', 'never'],
  ['192.0.0.9/32 port control protocol anycast', '192.0.0.9', 'never'],
  ['192.0.0.10/32 TURN anycast', '192.0.0.10', 'never'],
  ['192.0.0.170/32 NAT64/DNS64 discovery', '192.0.0.170', 'never'],
  ['192.0.2.0/24 documentation (TEST-NET-1)', '192.0.2.1', 'never'],
  ['192.31.196.0/24 AS112-v4', '192.31.196.1', 'never'],
  ['192.52.193.0/24 AMT', '192.52.193.1', 'never'],
  ['192.88.99.0/24 deprecated 6to4 relay anycast', '192.88.99.1', 'never'],
  ['192.168.0.0/16 private-use', '192.168.1.1', 'private'],
  ['192.175.48.0/24 direct delegation AS112', '192.175.48.1', 'never'],
  ['198.18.0.0/15 benchmarking', '198.18.0.1', 'never'],
  ['198.18.0.0/15 benchmarking (upper half)', '198.19.255.1', 'never'],
  ['198.51.100.0/24 documentation (TEST-NET-2)', '198.51.100.1', 'never'],
  ['203.0.113.0/24 documentation (TEST-NET-3)', '203.0.113.1', 'never'],
  ['240.0.0.0/4 reserved', '250.1.2.3', 'never'],
  ['255.255.255.255/32 limited broadcast', '255.255.255.255', 'never'],
  ['224.0.0.0/4 multicast', '239.1.2.3', 'never'],
  // IPv6 special-purpose registry
  ['::1/128 loopback', '::1', 'sandbox'],
  ['::/128 unspecified', '::', 'never'],
  ['::ffff:0:0/96 IPv4-mapped, private', '::ffff:10.0.0.1', 'private'],
  ['::ffff:0:0/96 IPv4-mapped, loopback', '::ffff:127.0.0.1', 'sandbox'],
  ['::ffff:0:0/96 IPv4-mapped, benchmarking', '::ffff:198.18.0.1', 'never'],
  ['::ffff:0:0/96 IPv4-mapped, 192.0.0.0/24', '::ffff:192.0.0.1', 'never'],
  ['64:ff9b::/96 NAT64, private', '64:ff9b::10.0.0.1', 'never'],
  ['64:ff9b::/96 NAT64, loopback', '64:ff9b::7f00:1', 'never'],
  ['64:ff9b::/96 NAT64, link local', '64:ff9b::a9fe:a9fe', 'never'],
  ['64:ff9b::/96 NAT64, benchmarking', '64:ff9b::c612:1', 'never'],
  ['64:ff9b:1::/48 local-use NAT64', '64:ff9b:1::808:808', 'never'],
  ['64:ff9b:1::/48 local-use NAT64, private', '64:ff9b:1:a00::1', 'never'],
  ['100::/64 discard-only', '100::1', 'never'],
  ['100:0:0:1::/64 dummy IPv6 prefix', '100:0:0:1::1', 'never'],
  ['2001::/23 IETF protocol assignments', '2001:1::4', 'never'],
  ['2001::/32 Teredo', '2001:0:4136:e378:8000:63bf:3fff:fdd2', 'never'],
  ['2001:1::1/128 port control protocol anycast', '2001:1::1', 'never'],
  ['2001:1::2/128 TURN anycast', '2001:1::2', 'never'],
  ['2001:1::3/128 DNS-SD service registration', '2001:1::3', 'never'],
  ['2001:2::/48 benchmarking', '2001:2::1', 'never'],
  ['2001:3::/32 AMT', '2001:3::1', 'never'],
  ['2001:4:112::/48 AS112-v6', '2001:4:112::1', 'never'],
  ['2001:10::/28 deprecated ORCHID', '2001:10::1', 'never'],
  ['2001:20::/28 ORCHIDv2', '2001:20::1', 'never'],
  ['2001:30::/28 drone remote ID', '2001:30::1', 'never'],
  ['2001:db8::/32 documentation', '2001:db8::1', 'never'],
  ['2002::/16 6to4, private', '2002:a00:1::1', 'never'],
  ['2002::/16 6to4, loopback', '2002:7f00:1::1', 'never'],
  ['2002::/16 6to4, benchmarking', '2002:c612:1::1', 'never'],
  ['2620:4f:8000::/48 direct delegation AS112', '2620:4f:8000::1', 'never'],
  ['3fff::/20 documentation', '3fff::1', 'never'],
  ['5f00::/16 segment routing SIDs', '5f00::1', 'never'],
  ['fc00::/7 unique local', 'fd12:3456::1', 'private'],
  ['fe80::/10 link local', 'fe80::1', 'private'],
  ['fec0::/10 deprecated site local', 'fec0::1', 'never'],
  ['ff00::/8 multicast', 'ff02::1', 'never'],
  // IPv4 in the other translation forms
  ['::ffff:0:0:0/96 IPv4-translated, private', '::ffff:0:10.0.0.1', 'never'],
  ['::ffff:0:0:0/96 IPv4-translated, loopback', '::ffff:0:127.0.0.1', 'never'],
  ['::/96 IPv4-compatible, private', '::10.0.0.1', 'never'],
  ['::/96 IPv4-compatible, 192.0.0.0/24', '::192.0.0.8', 'never'],
  ['::/8 reserved (no IPv4 inside)', '::1:2', 'never'],
  ['4000::/3 unassigned', '4000::1', 'never'],
  // Public addresses, as such and through every translation form
  ['global IPv4', '8.8.8.8', 'always'],
  ['global IPv6', '2606:4700:4700::1111', 'always'],
  ['IPv4-mapped global', '::ffff:8.8.8.8', 'always'],
  ['NAT64 of a global IPv4', '64:ff9b::808:808', 'always'],
  ['6to4 of a global IPv4', '2002:808:808::1', 'always'],
  ['IPv4-translated global', '::ffff:0:8.8.8.8', 'always'],
  ['IPv4-compatible global', '::8.8.8.8', 'always'],
]

const POLICIES: readonly (readonly [string, SinkPolicy, (a: Allowed) => boolean])[] = [
  ['production', { allowLoopback: false, allowPrivate: false }, (a) => a === 'always'],
  [
    'sandbox',
    { allowLoopback: true, allowPrivate: false },
    (a) => a === 'always' || a === 'sandbox',
  ],
  [
    'production with SINK_ALLOW_PRIVATE',
    { allowLoopback: false, allowPrivate: true },
    (a) => a === 'always' || a === 'private',
  ],
]

/** Where a delivery would connect for a host that resolves to `address`: refused or not. */
function connectOutcome(policy: SinkPolicy, address: string): Promise<string | undefined> {
  const target = sinkTarget('https://sink.example/notify', {
    ...policy,
    resolve: () => Promise.resolve([address]),
  })
  if ('refused' in target) return Promise.resolve(target.refused)
  return new Promise((resolve) => {
    target.lookup('sink.example', { all: true }, (error) => resolve(error?.message))
  })
}

const literal = (address: string) => (address.includes(':') ? `[${address}]` : address)

describe('sink policy over the special-purpose registries (issue 14)', () => {
  for (const [mode, policy, allows] of POLICIES) {
    it(`${mode}: every entry refused unless allowed, at creation and at connect time`, async () => {
      const wrong: string[] = []
      for (const [entry, address, allowed] of REGISTRY) {
        const expectAllowed = allows(allowed)
        // https everywhere; the sandbox's http-to-loopback rule is checked below.
        const created = await checkSink(`https://${literal(address)}/notify`, policy)
        const byName = await checkSink('https://sink.example/notify', policy, () =>
          Promise.resolve([address]),
        )
        const connect = await connectOutcome(policy, address)
        const literalTarget = sinkTarget(`https://${literal(address)}/notify`, policy)
        const outcomes = {
          'literal at creation': created === undefined,
          'name at creation': byName === undefined,
          'name at connect': connect === undefined,
          'literal at connect': !('refused' in literalTarget),
        }
        for (const [where, ok] of Object.entries(outcomes)) {
          if (ok !== expectAllowed)
            wrong.push(`${entry} (${address}) ${where}: ${ok ? 'allowed' : 'refused'}`)
        }
      }
      assert.deepEqual(wrong, [])
    })
  }

  it('port 0 is refused in every mode, at creation and at connect time', async () => {
    for (const [, policy] of POLICIES) {
      assert.match((await checkSink('http://127.0.0.1:0/notify', policy)) ?? '', /port 0/)
      assert.match((await checkSink('https://8.8.8.8:0/notify', policy)) ?? '', /port 0/)
      const target = sinkTarget('https://sink.example:0/notify', policy)
      assert.ok('refused' in target && /port 0/.test(target.refused))
    }
  })

  it('sandbox: http only to loopback, and a translated loopback is no loopback', async () => {
    const sandbox = { allowLoopback: true, allowPrivate: false }
    assert.equal(await checkSink('http://127.0.0.1:9/notify', sandbox), undefined)
    assert.equal(await checkSink('http://[::1]:9/notify', sandbox), undefined)
    assert.equal(await checkSink('http://[::ffff:127.0.0.1]:9/notify', sandbox), undefined)
    assert.match((await checkSink('http://8.8.8.8/notify', sandbox)) ?? '', /https/)
    assert.match((await checkSink('http://[64:ff9b::7f00:1]/notify', sandbox)) ?? '', /embeds 127/)
  })
})
