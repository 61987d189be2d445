import { startTestGateway } from '../test/helpers/gateway.js'
const g = await startTestGateway()
console.log(g.app.printRoutes({ commonPrefix: false }))
await g.close()
