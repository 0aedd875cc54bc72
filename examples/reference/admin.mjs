// The admin endpoint that drills use to inject faults at run time. It has its own token, separate from the tenants':
//   GET /admin/faults            the active faults
//   POST /admin/faults           add one: {"error": 0.2, "tool": "search", "tenant": "acme", "durationSeconds": 30}
//   DELETE /admin/faults/:id     remove one;  DELETE /admin/faults  remove all
import { timingSafeEqual } from 'node:crypto';
import express from 'express';
import { FaultError } from './faults.mjs';

function sameToken(given, expected) {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * @param {{ token: string, faults: import('./faults.mjs').Faults, signals: import('../../dist/lib/index.js').AppSignals }} options
 */
export function adminRouter({ token, faults, signals }) {
  const router = express.Router();
  router.use((req, res, next) => {
    const header = req.headers.authorization ?? '';
    if (header.startsWith('Bearer ') && sameToken(header.slice(7), token)) return next();
    signals.authFailure(header ? 'invalid_token' : 'missing_token');
    res.status(401).set('WWW-Authenticate', 'Bearer').json({
      error: 'invalid_token',
      error_description: 'the admin endpoint needs Authorization: Bearer <ADMIN_TOKEN>',
    });
  });
  router.get('/faults', (_req, res) => res.json({ faults: faults.list() }));
  router.post('/faults', (req, res) => {
    try {
      res.status(201).json(faults.add(req.body));
    } catch (error) {
      if (!(error instanceof FaultError)) throw error;
      res.status(400).json({ error: error.message });
    }
  });
  router.delete('/faults/:id', (req, res) => {
    if (faults.remove(req.params.id)) return res.status(204).end();
    res.status(404).json({ error: `no active fault ${req.params.id}` });
  });
  router.delete('/faults', (_req, res) => {
    faults.clear();
    res.status(204).end();
  });
  return router;
}
