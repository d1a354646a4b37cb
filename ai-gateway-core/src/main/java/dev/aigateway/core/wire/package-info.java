/**
 * The wire format's readers: the request view parsed once and lazily, the response bodies that
 * learn usage as bytes pass (JSON and server-sent events), and the byte-level scanners behind them.
 * Internal to the library; may change in any release.
 */
package dev.aigateway.core.wire;
