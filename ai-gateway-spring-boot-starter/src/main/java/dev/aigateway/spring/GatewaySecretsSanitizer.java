package dev.aigateway.spring;

import dev.aigateway.core.wire.SafeUrls;
import java.util.Locale;
import org.springframework.boot.actuate.endpoint.SanitizableData;
import org.springframework.boot.actuate.endpoint.SanitizingFunction;

/**
 * Masks the gateway's secrets in Actuator's {@code configprops} and {@code env} endpoints, which
 * with {@code show-values: always} show every value no sanitizing function changes: a backend's
 * {@code api-key} and an OAuth {@code client-secret} become {@code ******}, and a URL's user
 * information and query values ({@code https://user:password@host}, {@code ?key=...}) are removed.
 *
 * <p>A key is matched whatever its spelling, since each endpoint shows it as it was written or
 * bound: {@code ai-gateway.pool.backends[0].api-key}, {@code ...apiKey}, {@code ...apikey}, the
 * environment variables {@code AIGATEWAY_POOL_BACKENDS_0_APIKEY} and {@code
 * AI_GATEWAY_POOL_BACKENDS_0_API_KEY}: letters and digits only, lower-cased, compared. Only {@code
 * ai-gateway.*} keys are touched, and the consumer key's {@code api-key} (a boolean) is left as it
 * is.
 */
final class GatewaySecretsSanitizer implements SanitizingFunction {

  /** The prefix of every gateway key, in letters and digits only. */
  private static final String PREFIX = "aigateway";

  @Override
  public SanitizableData apply(SanitizableData data) {
    Object value = data.getValue();
    if (value == null) {
      return data;
    }
    String key = normalized(data.getKey());
    if (!key.startsWith(PREFIX)) {
      return data;
    }
    if (key.endsWith("clientsecret")
        || key.endsWith("apikey") && !key.endsWith("consumerkeyapikey")) {
      return data.withSanitizedValue();
    }
    if (key.endsWith("url")) {
      String url = value.toString();
      if (url.indexOf('@') >= 0 || url.indexOf('?') >= 0 || url.indexOf('#') >= 0) {
        return data.withValue(SafeUrls.withoutSecrets(url));
      }
    }
    return data;
  }

  /** {@code key} with letters and digits only, lower-cased: every spelling of a name alike. */
  static String normalized(String key) {
    StringBuilder out = new StringBuilder(key.length());
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c < 128 && Character.isLetterOrDigit(c)) {
        out.append(c);
      }
    }
    return out.toString().toLowerCase(Locale.ROOT);
  }
}
