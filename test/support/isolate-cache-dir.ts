import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Tests never touch the user's ~/.cachier: every test file gets its own folder.
process.env['CACHIER_DIR'] = mkdtempSync(join(tmpdir(), 'cachier-test-'));
