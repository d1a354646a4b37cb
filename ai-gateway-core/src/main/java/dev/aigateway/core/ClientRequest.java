package dev.aigateway.core;

/**
 * The request of one matched call, as an HTTP client adapter hands it to
 * {@link AiGateway#begin(dev.aigateway.api.CallMatch, ClientRequest)}. Adapters implement it over
 * their client's request type; applications never need to.
 */
public interface ClientRequest {

  /** The HTTP method, upper case. */
  String method();

  /** The full URL. */
  String url();

  /** The first value of a header (case-insensitive name), or null. */
  String header(String name);

  /** A tag attached to the request, or null. */
  <T> T tag(Class<? extends T> type);

  /** The request body's bytes; empty when there is none. Never null. */
  byte[] body();
}
