// CalChat's server, as far as this example needs one: what the image step packs into /app.
import { createServer } from "node:http";

const port = Number(process.env.PORT ?? 8080);
createServer((req, res) => {
  res.writeHead(req.url === "/health" ? 200 : 404, { "content-type": "text/plain" });
  res.end(req.url === "/health" ? "ok\n" : "not found\n");
}).listen(port);
