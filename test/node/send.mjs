// Sends identify, track, page and group calls to Cairn with the official Segment SDK, configured only with
// Cairn's host and a write key. Exits non-zero if the SDK reports any delivery error.
// Usage: CAIRN_URL=http://127.0.0.1:5080 CAIRN_WRITE_KEY=... RUN_ID=abc node send.mjs
import { Analytics } from '@segment/analytics-node'

const host = process.env.CAIRN_URL
const writeKey = process.env.CAIRN_WRITE_KEY
const run = process.env.RUN_ID
if (!host || !writeKey || !run) {
  console.error('CAIRN_URL, CAIRN_WRITE_KEY and RUN_ID are required')
  process.exit(2)
}

const analytics = new Analytics({ writeKey, host, flushAt: 2, flushInterval: 200, maxRetries: 2 })
const errors = []
analytics.on('error', (error) => errors.push(error))
analytics.on('http_response', (response) => {
  if (response.status >= 300) errors.push(new Error(`HTTP ${response.status} from ${response.url}`))
})

const userId = `sdk-user-${run}`
const anonymousId = `sdk-anon-${run}`
analytics.page({ anonymousId, name: 'Pricing', properties: { path: '/pricing' } })
analytics.identify({ userId, anonymousId, traits: { email: `Sdk.${run}@Example.COM`, name: 'Sdk Person', plan: 'pro' } })
analytics.track({ userId, event: 'Order Completed', properties: { revenue: 42.5, currency: 'EUR' } })
analytics.group({ userId, groupId: `acme-${run}`, traits: { name: 'Acme' } })

await analytics.closeAndFlush({ timeout: 20000 })
if (errors.length > 0) {
  for (const error of errors) console.error(String(error?.reason ?? error?.message ?? error))
  process.exit(1)
}
console.log('sent')
