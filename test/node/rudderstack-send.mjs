// Sends page, identify, track, screen and group calls to Cairn with RudderStack's Node SDK
// (@rudderstack/rudder-sdk-node), configured only with Cairn's URL as its data plane and a write key.
// The SDK talks to Cairn through a recording proxy that forwards every request byte for byte and prints, as one
// JSON line after "REQUESTS ", what the SDK really sent: method, path, headers, body size and the inflated body,
// with Cairn's status. Exits non-zero if the SDK reports any delivery error.
// Usage: CAIRN_URL=http://127.0.0.1:5080 CAIRN_WRITE_KEY=... RUN_ID=abc node rudderstack-send.mjs
import http from 'node:http'
import zlib from 'node:zlib'
import Analytics from '@rudderstack/rudder-sdk-node'

const cairn = process.env.CAIRN_URL ? new URL(process.env.CAIRN_URL) : null
const writeKey = process.env.CAIRN_WRITE_KEY
const run = process.env.RUN_ID
if (!cairn || !writeKey || !run) {
  console.error('CAIRN_URL, CAIRN_WRITE_KEY and RUN_ID are required')
  process.exit(2)
}

const requests = []
const proxy = http.createServer((request, response) => {
  const chunks = []
  request.on('data', (chunk) => chunks.push(chunk))
  request.on('end', () => {
    const raw = Buffer.concat(chunks)
    const seen = { method: request.method, path: request.url, headers: request.headers, bytes: raw.length }
    try {
      const text = request.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(raw).toString('utf8') : raw.toString('utf8')
      seen.body = JSON.parse(text)
    } catch (error) {
      seen.bodyError = String(error)
    }
    requests.push(seen)
    const forward = http.request(
      { host: cairn.hostname, port: cairn.port, method: request.method, path: request.url, headers: { ...request.headers, host: cairn.host } },
      (answer) => {
        const parts = []
        answer.on('data', (part) => parts.push(part))
        answer.on('end', () => {
          seen.status = answer.statusCode
          seen.answer = Buffer.concat(parts).toString('utf8')
          response.writeHead(answer.statusCode, answer.headers)
          response.end(Buffer.concat(parts))
        })
      })
    forward.on('error', (error) => {
      seen.status = 502
      response.writeHead(502)
      response.end(String(error))
    })
    forward.end(raw)
  })
})
await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve))

const errors = []
const client = new Analytics(writeKey, {
  dataPlaneUrl: `http://127.0.0.1:${proxy.address().port}`,
  flushAt: 3,
  flushInterval: 200,
  retryCount: 0,
  logLevel: 'error',
  errorHandler: (error) => errors.push(error),
})
const sent = (error) => { if (error) errors.push(error) }

const userId = `rudder-user-${run}`
const anonymousId = `rudder-anon-${run}`
client.page({ anonymousId, name: 'Pricing', properties: { path: '/pricing', referrer: 'https://example.org/' } }, sent)
client.identify({ userId, anonymousId, traits: { email: `Rudder.${run}@Example.COM`, name: 'Rudder Person', plan: 'team' } }, sent)
client.track({ userId, event: 'Order Completed', properties: { revenue: 99.5, currency: 'EUR', items: [{ sku: 'sku-1', quantity: 2 }] } }, sent)
// Recorded on the device an hour ago and sent now (the SDK keeps a given originalTimestamp).
client.track({ userId, event: 'Cart Viewed', properties: { cart: `cart-${run}` }, originalTimestamp: new Date(Date.now() - 3600 * 1000) }, sent)
client.screen({ userId, name: 'Settings', properties: { tab: 'billing' } }, sent)
client.group({ userId, groupId: `acme-${run}`, traits: { name: 'Acme' } }, sent)

await client.flush()
await new Promise((resolve) => setImmediate(resolve))
proxy.close()
console.log('REQUESTS ' + JSON.stringify(requests))
if (errors.length > 0) {
  for (const error of errors) console.error(String(error?.response?.status ?? error?.message ?? error))
  process.exit(1)
}
console.log('sent')
