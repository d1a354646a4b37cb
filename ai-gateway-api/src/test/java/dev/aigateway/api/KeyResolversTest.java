package dev.aigateway.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class KeyResolversTest {

  private static final String SECRET = "sk-proj-SECRET-abcdef0123456789";

  // ---------------------------------------------------------------- header

  @ParameterizedTest(name = "''{0}'' -> ''{1}''")
  @CsvSource(
      quoteCharacter = '"',
      value = {"team-a, team-a", "\"  team-a  \", team-a", "\"\tteam a\t\", team a"})
  void headerValueIsTrimmed(String value, String expected) {
    KeyResolver resolver = KeyResolvers.header("x-consumer-id");

    assertThat(resolver.resolve(request().header("X-Consumer-Id", value))).isEqualTo(expected);
  }

  @ParameterizedTest(name = "''{0}''")
  @ValueSource(strings = {"", " ", "   ", "\t", " \t "})
  void blankHeaderResolvesToNull(String value) {
    KeyResolver resolver = KeyResolvers.header("x-consumer-id");

    assertThat(resolver.resolve(request().header("x-consumer-id", value))).isNull();
  }

  @Test
  void absentHeaderResolvesToNull() {
    KeyResolver resolver = KeyResolvers.header("x-consumer-id");

    assertThat(resolver.resolve(request().header("x-other", "team-a"))).isNull();
  }

  @Test
  void headerIsDeclaredAsAGatewayHeaderInLowerCase() {
    KeyResolver resolver = KeyResolvers.header("X-Consumer-Id");

    assertThat(resolver.gatewayHeaders()).containsExactly("x-consumer-id");
  }

  @Test
  void aHeaderNameWithSurroundingBlanksReadsAndRemovesTheHeaderItNames() {
    // The name is checked trimmed (" Authorization " is refused), so it is used trimmed too.
    KeyResolver resolver = KeyResolvers.header(" X-Consumer-Id ");

    assertThat(resolver.resolve(request().header("x-consumer-id", "team-a"))).isEqualTo("team-a");
    assertThat(resolver.gatewayHeaders()).containsExactly("x-consumer-id");
  }

  @ParameterizedTest(name = "''{0}''")
  @ValueSource(strings = {"", "  "})
  void blankHeaderNameIsRejected(String name) {
    assertThatThrownBy(() -> KeyResolvers.header(name))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "Authorization",
        "authorization",
        " AUTHORIZATION ",
        "Proxy-Authorization",
        "api-key",
        "X-Api-Key",
        "x-goog-api-key"
      })
  void credentialHeaderIsRefusedInFavourOfTheApiKeysFingerprint(String name) {
    assertThatThrownBy(() -> KeyResolvers.header(name))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("carries a credential")
        .hasMessageContaining("KeyResolvers.apiKey()");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"Cookie", "cookie"})
  void cookieHeaderIsRefusedInFavourOfOneCookie(String name) {
    assertThatThrownBy(() -> KeyResolvers.header(name))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("KeyResolvers.cookie(name)");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"x-consumer-id", "x-api-key-owner", "api-key-id", "x-team"})
  void headersThatOnlyResembleCredentialHeadersAreAccepted(String name) {
    KeyResolver resolver = KeyResolvers.header(name);

    assertThat(resolver.resolve(request().header(name, "team-a"))).isEqualTo("team-a");
  }

  @Test
  void nullHeaderNameIsRejected() {
    assertThatThrownBy(() -> KeyResolvers.header(null))
        .isInstanceOf(IllegalArgumentException.class);
  }

  // ---------------------------------------------------------------- cookie

  @Test
  void cookieIsAFingerprintOfTheCookiesValueNeverTheValue() throws Exception {
    String session = "s%3Asession-SECRET-0123456789.abcdef";
    String expected =
        "cookie-"
            + HexFormat.of()
                .formatHex(
                    MessageDigest.getInstance("SHA-256")
                        .digest(session.getBytes(StandardCharsets.UTF_8)))
                .substring(0, 12);

    String key =
        KeyResolvers.cookie("sid")
            .resolve(request().header("Cookie", "theme=dark; sid=" + session + "; lang=en"));

    assertThat(key).isEqualTo(expected).doesNotContain("SECRET");
    assertThat(KeyResolvers.cookie("sid").resolve(request().header("Cookie", "sid=" + session)))
        .as("the same session keeps its key (sticky routing, limits)")
        .isEqualTo(expected);
    assertThat(KeyResolvers.cookie("sid").resolve(request().header("Cookie", "sid=other")))
        .isNotEqualTo(expected)
        .startsWith("cookie-");
  }

  @ParameterizedTest(name = "''{0}''")
  @ValueSource(strings = {"theme=dark", "sid=", "sid=  ; a=b", "xsid=abc"})
  void aMissingOrEmptyCookieResolvesToNull(String cookies) {
    assertThat(KeyResolvers.cookie("sid").resolve(request().header("Cookie", cookies))).isNull();
  }

  @Test
  void cookieResolverNamesItsCookieOnly() {
    assertThat(KeyResolvers.cookie("sid").toString()).isEqualTo("cookie(sid)");
  }

  // ---------------------------------------------------------------- apiKey

  @Test
  void apiKeyIsKeyDashAndTheFirstTwelveHexDigitsOfTheKeysSha256() throws Exception {
    String expected =
        "key-"
            + HexFormat.of()
                .formatHex(
                    MessageDigest.getInstance("SHA-256")
                        .digest(SECRET.getBytes(StandardCharsets.UTF_8)))
                .substring(0, 12);

    String key =
        KeyResolvers.apiKey().resolve(request().header("Authorization", "Bearer " + SECRET));

    assertThat(key).isEqualTo(expected).matches("key-[0-9a-f]{12}");
  }

  @Test
  void apiKeyReadsGooglesKeyQueryParameterAsTheSameCallerAsItsHeader() {
    String gemini = "https://generativelanguage.googleapis.com/v1beta/models/m:generateContent";
    String header = KeyResolvers.apiKey().resolve(request().header("x-goog-api-key", SECRET));

    assertThat(KeyResolvers.apiKey().resolve(request().url(gemini + "?key=" + SECRET)))
        .isEqualTo(header);
    assertThat(KeyResolvers.apiKey().resolve(request().url(gemini + "?alt=sse&key=" + SECRET)))
        .isEqualTo(header);
    assertThat(
            KeyResolvers.apiKey()
                .resolve(request().url(gemini + "?key=" + SECRET.replace("-", "%2D") + "#x")))
        .as("percent-decoded")
        .isEqualTo(header);
    assertThat(
            KeyResolvers.apiKey()
                .resolve(request().header("x-goog-api-key", SECRET).url(gemini + "?key=other")))
        .as("a header comes first")
        .isEqualTo(header);
    for (String query : new String[] {"", "?", "?key=", "?alt=sse", "?akey=x", "?#key=x"}) {
      assertThat(KeyResolvers.apiKey().resolve(request().url(gemini + query))).as(query).isNull();
    }
  }

  @Test
  void apiKeyIsStableAcrossResolversAndCalls() {
    String first = KeyResolvers.apiKey().resolve(bearer(SECRET));
    String second = KeyResolvers.apiKey().resolve(bearer(SECRET));

    assertThat(second).isEqualTo(first);
  }

  @Test
  void apiKeyDiffersForDifferentKeys() {
    String one = KeyResolvers.apiKey().resolve(bearer(SECRET));
    String other = KeyResolvers.apiKey().resolve(bearer(SECRET + "x"));

    assertThat(other).isNotEqualTo(one);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        SECRET,
        "sk-abc123",
        "0123456789abcdef0123456789abcdef",
        "deadbeefdeadbeefdeadbeef"
      })
  void apiKeyNeverContainsTheKey(String secret) {
    String key = KeyResolvers.apiKey().resolve(bearer(secret));

    assertThat(key).doesNotContain(secret).startsWith("key-");
  }

  @Test
  void googlesApiKeyHeaderGivesTheSameFingerprintAsBearer() {
    String viaBearer = KeyResolvers.apiKey().resolve(bearer(SECRET));
    String viaGoogle = KeyResolvers.apiKey().resolve(request().header("x-goog-api-key", SECRET));

    assertThat(viaGoogle).isEqualTo(viaBearer);
  }

  @Test
  void anthropicsApiKeyHeaderGivesTheSameFingerprintAsBearer() {
    // Anthropic's Messages API and its SDKs send the key in x-api-key.
    String viaBearer = KeyResolvers.apiKey().resolve(bearer(SECRET));
    String viaAnthropic = KeyResolvers.apiKey().resolve(request().header("x-api-key", SECRET));

    assertThat(viaAnthropic).isEqualTo(viaBearer).isNotNull();
  }

  @Test
  void azureApiKeyHeaderGivesTheSameFingerprintAsBearer() {
    String viaBearer = KeyResolvers.apiKey().resolve(bearer(SECRET));
    String viaApiKey = KeyResolvers.apiKey().resolve(request().header("api-key", SECRET));

    assertThat(viaApiKey).isEqualTo(viaBearer).isNotNull();
  }

  @ParameterizedTest(name = "''{0}''")
  @ValueSource(
      strings = {
        "bearer " + SECRET,
        "BEARER " + SECRET,
        "Bearer    " + SECRET,
        "  Bearer " + SECRET + "  "
      })
  void bearerSchemeIsCaseInsensitiveAndSpacesAreIgnored(String authorization) {
    String expected = KeyResolvers.apiKey().resolve(bearer(SECRET));

    String key = KeyResolvers.apiKey().resolve(request().header("Authorization", authorization));

    assertThat(key).isEqualTo(expected);
  }

  @Test
  void apiKeyHeaderValueIsTrimmed() {
    String expected = KeyResolvers.apiKey().resolve(bearer(SECRET));

    String key = KeyResolvers.apiKey().resolve(request().header("api-key", "  " + SECRET + " "));

    assertThat(key).isEqualTo(expected);
  }

  @Test
  void bearerTokenWinsOverApiKeyHeader() {
    String expected = KeyResolvers.apiKey().resolve(bearer(SECRET));

    String key =
        KeyResolvers.apiKey()
            .resolve(
                request()
                    .header("Authorization", "Bearer " + SECRET)
                    .header("api-key", "another-key"));

    assertThat(key).isEqualTo(expected);
  }

  @Test
  void nonBearerAuthorizationFallsBackToApiKeyHeader() {
    String expected = KeyResolvers.apiKey().resolve(bearer(SECRET));

    String key =
        KeyResolvers.apiKey()
            .resolve(
                request().header("Authorization", "Basic dXNlcjpwYXNz").header("api-key", SECRET));

    assertThat(key).isEqualTo(expected);
  }

  @ParameterizedTest(name = "''{0}''")
  @ValueSource(strings = {"Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearer    ", "", "sk-raw"})
  void authorizationWithoutABearerTokenAndNoApiKeyResolvesToNull(String authorization) {
    assertThat(KeyResolvers.apiKey().resolve(request().header("Authorization", authorization)))
        .isNull();
  }

  @ParameterizedTest(name = "''{0}''")
  @ValueSource(strings = {"", "   "})
  void blankApiKeyHeaderResolvesToNull(String value) {
    assertThat(KeyResolvers.apiKey().resolve(request().header("api-key", value))).isNull();
  }

  @Test
  void noCredentialResolvesToNull() {
    assertThat(KeyResolvers.apiKey().resolve(request())).isNull();
  }

  @Test
  void apiKeyDeclaresNoGatewayHeaders() {
    assertThat(KeyResolvers.apiKey().gatewayHeaders()).isEmpty();
  }

  // ---------------------------------------------------------------- tag, fixed, model

  record Tenant(String id) {}

  @Test
  void tagResolvesFromTheRequestsTag() {
    KeyResolver resolver = KeyResolvers.tag(Tenant.class, Tenant::id);

    assertThat(resolver.resolve(request().tag(new Tenant("acme")))).isEqualTo("acme");
  }

  @Test
  void missingTagResolvesToNull() {
    KeyResolver resolver = KeyResolvers.tag(Tenant.class, Tenant::id);

    assertThat(resolver.resolve(request())).isNull();
  }

  @Test
  void fixedResolvesToItsKeyForEveryRequest() {
    assertThat(KeyResolvers.fixed("everyone").resolve(request())).isEqualTo("everyone");
  }

  @ParameterizedTest(name = "''{0}''")
  @ValueSource(strings = {"", "  "})
  void blankFixedKeyIsRejected(String key) {
    assertThatThrownBy(() -> KeyResolvers.fixed(key)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void modelResolvesToTheRequestsModel() {
    assertThat(KeyResolvers.model().resolve(request().model("gpt-4o"))).isEqualTo("gpt-4o");
  }

  // ---------------------------------------------------------------- request double

  private static FakeRequest request() {
    return new FakeRequest();
  }

  private static FakeRequest bearer(String secret) {
    return request().header("Authorization", "Bearer " + secret);
  }

  /** An {@link LlmRequest} with headers (names case-insensitive), one tag and a model. */
  static final class FakeRequest implements LlmRequest {
    private final Map<String, String> headers = new LinkedHashMap<>();
    private Object tag;
    private String model;
    private String url = "https://api.example.com/v1/chat/completions";

    FakeRequest header(String name, String value) {
      headers.put(name.toLowerCase(Locale.ROOT), value);
      return this;
    }

    FakeRequest tag(Object tag) {
      this.tag = tag;
      return this;
    }

    FakeRequest model(String model) {
      this.model = model;
      return this;
    }

    FakeRequest url(String url) {
      this.url = url;
      return this;
    }

    @Override
    public Operation operation() {
      return Operation.CHAT_COMPLETIONS;
    }

    @Override
    public String method() {
      return "POST";
    }

    @Override
    public String url() {
      return url;
    }

    @Override
    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    @Override
    public <T> T tag(Class<? extends T> type) {
      return type.isInstance(tag) ? type.cast(tag) : null;
    }

    @Override
    public String deployment() {
      return null;
    }

    @Override
    public String model() {
      return model;
    }

    @Override
    public boolean stream() {
      return false;
    }

    @Override
    public boolean includeUsageRequested() {
      return false;
    }

    @Override
    public OptionalLong maxOutputTokens() {
      return OptionalLong.empty();
    }

    @Override
    public int choices() {
      return 1;
    }

    @Override
    public boolean bodyUnderstood() {
      return true;
    }
  }
}
