// Run with: S3_ENDPOINT=http://localhost:4568 S3_BUCKET=my-cache node docs/examples/s3-cache.mjs
// (without S3_ENDPOINT the SDK's usual AWS configuration applies: region, credentials).
import { S3Client } from '@aws-sdk/client-s3';
import { cachier } from 'cachier';

const client = new S3Client({
  ...(process.env.S3_ENDPOINT ? { endpoint: process.env.S3_ENDPOINT, forcePathStyle: true } : {}),
  region: process.env.AWS_REGION ?? 'us-east-1',
  // Fail fast when the endpoint is unreachable: cachier then warns and calls the function.
  requestHandler: { connectionTimeout: 2_000, requestTimeout: 30_000 },
});

const slowSquare = cachier(
  async function slowSquare(n) {
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // stands for real work
    return n * n;
  },
  { backend: 's3', s3: { client, bucket: process.env.S3_BUCKET ?? 'my-cache', prefix: 'cachier/' }, staleAfter: '1d' },
);

let started = Date.now();
console.log(`slowSquare(12) = ${await slowSquare(12)} in ${Date.now() - started}ms`); // computed, or served
started = Date.now();
console.log(`slowSquare(12) = ${await slowSquare(12)} in ${Date.now() - started}ms`); // served from S3
client.destroy();
