package dev.aigateway.api.spi;

import java.io.IOException;
import java.util.Map;

/**
 * Signs one attempt of a governed call for a backend that authenticates each request by a signature
 * over it (AWS Signature Version 4, for Amazon Bedrock), instead of a static credential header. The
 * gateway calls it for every attempt, after it rewrote the call for the attempt's backend (URL,
 * model, body), so a call that fails over to another region or model is signed again for exactly
 * what it sends.
 *
 * <pre>{@code
 * Backend.bedrock("us-east-1", "https://bedrock-runtime.us-east-1.amazonaws.com")
 *     .signer(AwsSigV4.signer("us-east-1", "bedrock", AwsCredentialsProvider.environment()));
 * }</pre>
 *
 * <p>Implementations must be thread-safe, should be fast (they run on the calling thread for every
 * attempt), and must never put a secret into an exception message or a log line.
 */
@FunctionalInterface
public interface RequestSigner {

  /**
   * The headers that authenticate the request: set on the attempt, replacing any of the same name
   * (the application's own {@code Authorization} and {@code X-Amz-*} headers are removed first).
   *
   * @param method the HTTP method, upper case
   * @param url the full URL the attempt is sent to, path and query encoded as they go on the wire
   * @param body the exact body bytes the attempt sends (empty when none)
   * @throws IOException when the request cannot be signed now (no credentials, for example); the
   *     attempt then fails and the call moves on to another backend
   */
  Map<String, String> sign(String method, String url, byte[] body) throws IOException;
}
