/**
 * The wire formats: one {@link dev.aigateway.core.wire.WireFormat} per provider protocol (OpenAI
 * chat completions, completions, embeddings and the Responses API; Azure OpenAI as a flavour of
 * them), the registry that picks one per call ({@link dev.aigateway.core.wire.WireFormats}), and
 * the byte-level readers they are built from: the request read once and lazily, the response bodies
 * that learn usage as bytes pass (JSON and server-sent events), and the scanners behind them.
 * Internal to the library; may change in any release.
 */
package dev.aigateway.core.wire;
