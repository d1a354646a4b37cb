/**
 * The wire formats: one {@link dev.aigateway.core.wire.WireFormat} per provider protocol (OpenAI
 * chat completions, completions, embeddings and the Responses API; Azure OpenAI as a flavour of
 * them), the registry that picks one per call ({@link dev.aigateway.core.wire.WireFormats}), and
 * the byte-level readers they are built from: the request read once and lazily, the response bodies
 * that learn usage as bytes pass (JSON and server-sent events), and the scanners behind them; and
 * {@link dev.aigateway.core.wire.SendFailedException}, the {@code IOException} an attempt's
 * unchecked failure (sending it, or reading its held first event) reaches the application as.
 * Internal to the library; may change in any release.
 */
package dev.aigateway.core.wire;
