// Drives a live server through the generated client: register, create the profile, start a
// draft, fill it in, submit, read the scores. The server's address is INTAKE_API_URL (the
// script tests/typescript-client.sh starts one on a fresh SQLite database).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { test } from "node:test";

import { createIntakeClient, ifMatch, type Schemas } from "../src/index.js";

const baseUrl = process.env.INTAKE_API_URL ?? "http://127.0.0.1:8080";

interface Fixture {
  profile: Schemas["PatientFields"];
  sections: Schemas["SectionsInput"];
  /** Per instrument, the fields of its score the fixture pins (total, band, result, …). */
  expected: { scores: Record<string, Record<string, unknown>> };
}

const fixture = JSON.parse(
  readFileSync(resolve("../../tests/fixtures/fibromyalgia.json"), "utf8"),
) as Fixture;

test("a patient's intake, from registration to scores", async () => {
  let token: string | undefined;
  const api = createIntakeClient({ baseUrl, token: () => token });
  const email = `ts-${Date.now()}@example.org`;
  const password = "a long typescript passphrase";

  const registered = await api.POST("/api/v1/auth/register", { body: { email, password } });
  assert.equal(registered.response.status, 201, JSON.stringify(registered.error));
  const signedIn = await api.POST("/api/v1/auth/token", { body: { email, password } });
  assert.ok(signedIn.data, JSON.stringify(signedIn.error));
  // A patient has no second factor: the answer is the token itself, not an MFA challenge.
  assert.ok("access_token" in signedIn.data);
  token = signedIn.data.access_token;

  const profile = await api.POST("/api/v1/patients", { body: fixture.profile });
  assert.equal(profile.response.status, 201, JSON.stringify(profile.error));

  const draft = await api.POST("/api/v1/intakes", { body: {} });
  assert.ok(draft.data, JSON.stringify(draft.error));
  assert.equal(draft.data.status, "draft");
  const id = draft.data.id;

  const patched = await api.PATCH("/api/v1/intakes/{id}", {
    params: { path: { id }, header: ifMatch(draft.response) },
    body: { sections: fixture.sections },
  });
  assert.ok(patched.data, JSON.stringify(patched.error));
  assert.equal(patched.data.version, 2);

  // A stale version is refused with a problem document, typed like any error.
  const stale = await api.PATCH("/api/v1/intakes/{id}", {
    params: { path: { id }, header: ifMatch(draft.response) },
    body: { sections: {} },
  });
  assert.equal(stale.response.status, 412);
  assert.equal(stale.error?.type, "/problems/stale-version");

  const submitted = await api.POST("/api/v1/intakes/{id}/submit", { params: { path: { id } } });
  assert.ok(submitted.data, JSON.stringify(submitted.error));
  assert.equal(submitted.data.status, "submitted");

  const read = await api.GET("/api/v1/intakes/{id}", { params: { path: { id } } });
  assert.ok(read.data, JSON.stringify(read.error));
  const scores = read.data.scores ?? {};
  for (const [code, want] of Object.entries(fixture.expected.scores)) {
    const got: Schemas["ScoreResult"] | undefined = scores[code];
    assert.ok(got, `no ${code} score`);
    const fields = got as unknown as Record<string, unknown>;
    for (const [field, value] of Object.entries(want)) {
      assert.deepEqual(fields[field], value, `${code}.${field}`);
    }
  }
  assert.equal(scores["phq9"]?.rule_set, "PHQ9-Kroenke2001");
});
