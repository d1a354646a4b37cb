package dev.aigateway.spring;

import dev.aigateway.core.wire.SafeUrls;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.endpoint.SanitizableData;
import org.springframework.boot.actuate.endpoint.SanitizingFunction;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;

/**
 * Masks the gateway's secrets in Actuator's {@code configprops} and {@code env} endpoints, which
 * with {@code show-values: always} show every value no sanitizing function changes: a backend's
 * {@code api-key} and an OAuth {@code client-secret} become {@code ******}, and a URL's user
 * information and query values ({@code https://user:password@host}, {@code ?key=...}) are removed.
 *
 * <p>A key is matched whatever its spelling, since each endpoint shows it as it was written or
 * bound: {@code ai-gateway.pool.backends[0].api-key}, {@code ...apiKey}, {@code ...apikey}, the
 * environment variables {@code AIGATEWAY_POOL_BACKENDS_0_APIKEY} and {@code
 * AI_GATEWAY_POOL_BACKENDS_0_API_KEY}: letters and digits only, lower-cased, compared. The consumer
 * key's {@code api-key} (a boolean) is left as it is.
 *
 * <p>A secret is also masked wherever else its value appears, whatever the key: {@code api-key:
 * ${AZURE_EAST_KEY}} puts the key in the variable {@code AZURE_EAST_KEY} too, which the env
 * endpoint lists under its own name. Values of fewer than {@value #MIN_SECRET_CHARS} characters (a
 * local server's placeholder key such as {@code ollama}) are matched by key only.
 */
final class GatewaySecretsSanitizer implements SanitizingFunction {

  /** The prefix of every gateway key, in letters and digits only. */
  private static final String PREFIX = "aigateway";

  /** The shortest value masked wherever it appears. */
  static final int MIN_SECRET_CHARS = 8;

  /** The backends' api-keys and client secrets as bound now; read on each masking. */
  private final Supplier<Set<String>> secrets;

  /** A function that masks the secrets {@code secrets} supplies wherever their values appear. */
  GatewaySecretsSanitizer(Supplier<Set<String>> secrets) {
    this.secrets = secrets;
  }

  /**
   * The function for a context: the secrets of its {@link AiGatewayProperties} bean, read on each
   * masking (a rebinding is seen); without that bean ({@code ai-gateway.enabled: false}), those
   * bound from {@code environment} once, when first needed.
   */
  static GatewaySecretsSanitizer of(
      ObjectProvider<AiGatewayProperties> properties, Environment environment) {
    Supplier<Set<String>> unbound =
        new Supplier<>() {
          private volatile @Nullable Set<String> bound;

          @Override
          public Set<String> get() {
            Set<String> secrets = bound;
            if (secrets == null) {
              secrets = secretsOf(bind(environment));
              bound = secrets;
            }
            return secrets;
          }
        };
    return new GatewaySecretsSanitizer(
        () -> {
          AiGatewayProperties bean = properties.getIfAvailable();
          return bean != null ? secretsOf(bean) : unbound.get();
        });
  }

  /** The gateway's properties bound from {@code environment}; null when they cannot be. */
  private static @Nullable AiGatewayProperties bind(Environment environment) {
    try {
      return Binder.get(environment)
          .bind(AiGatewayProperties.PREFIX, AiGatewayProperties.class)
          .orElse(null);
    } catch (RuntimeException e) {
      return null; // a value that does not bind: the keys are still masked by name
    }
  }

  @Override
  public SanitizableData apply(SanitizableData data) {
    Object value = data.getValue();
    if (value == null) {
      return data;
    }
    String key = normalized(data.getKey());
    if (key.startsWith(PREFIX)) {
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
    }
    if (value instanceof CharSequence text
        && text.length() >= MIN_SECRET_CHARS
        && secrets.get().contains(text.toString().strip())) {
      return data.withSanitizedValue();
    }
    return data;
  }

  /**
   * The backends' api-keys and OAuth client secrets of {@code properties} (null: none), those of at
   * least {@value #MIN_SECRET_CHARS} characters.
   */
  static Set<String> secretsOf(@Nullable AiGatewayProperties properties) {
    Set<String> secrets = new HashSet<>();
    if (properties == null) {
      return secrets;
    }
    for (AiGatewayProperties.BackendEntry backend : properties.getPool().getBackends()) {
      add(secrets, backend.getApiKey());
      add(secrets, backend.getOauth().getClientSecret());
    }
    return secrets;
  }

  private static void add(Set<String> secrets, @Nullable String value) {
    if (value != null && value.strip().length() >= MIN_SECRET_CHARS) {
      secrets.add(value.strip());
    }
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
