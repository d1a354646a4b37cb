package dev.aigateway.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.aigateway.api.Operation;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.access.AccessPolicy;
import dev.aigateway.core.access.AccessRule;
import dev.aigateway.core.routing.Backend;
import dev.aigateway.okhttp.OkHttpAiGateway;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Set;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * The security properties on a real Spring context: backend credentials (OAuth 2.0 client
 * credentials with a secret or a PEM private key, Entra ID), access rules with a role header, and
 * the JWT caller resolver, each built as configured; missing or conflicting properties fail startup
 * naming the property; secrets never show; a call without a valid JWT is refused end to end.
 */
class SecurityPropertiesTest {

  private static final String SECRET = "oauth-client-SECRET-starter";

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(AiGatewayAutoConfiguration.class));

  private MockWebServer backend;

  @BeforeEach
  void startBackend() throws Exception {
    backend = new MockWebServer();
    backend.start();
  }

  @AfterEach
  void stopBackend() throws Exception {
    backend.shutdown();
  }

  private static InvalidGatewayPropertyException propertyFailure(
      AssertableApplicationContext context) {
    return AiGatewayAutoConfigurationTest.propertyFailure(context);
  }

  private static String allMessages(Throwable failure) {
    StringBuilder out = new StringBuilder();
    for (Throwable t = failure; t != null; t = t.getCause()) {
      out.append(t).append('\n');
    }
    return out.toString();
  }

  private static Backend onlyBackend(AssertableApplicationContext context) {
    return context.getBean(AiGateway.class).backendPool().backends().get(0);
  }

  // ---- OAuth 2.0 client credentials

  @Test
  void oauthClientCredentialsWithASecretAreBuiltAndTheSecretNeverShows() {
    runner
        .withPropertyValues(
            "ai-gateway.pool.backends[0].id=internal",
            "ai-gateway.pool.backends[0].url=https://llm.internal.example.com",
            "ai-gateway.pool.backends[0].flavor=openai-compatible",
            "ai-gateway.pool.backends[0].oauth.token-url=https://login.example.com/oauth2/token",
            "ai-gateway.pool.backends[0].oauth.client-id=ai-gateway",
            "ai-gateway.pool.backends[0].oauth.client-secret=" + SECRET,
            "ai-gateway.pool.backends[0].oauth.client-authentication=basic",
            "ai-gateway.pool.backends[0].oauth.scopes=llm.invoke,llm.read")
        .run(
            context -> {
              String credential = onlyBackend(context).credential().toString();
              assertThat(credential)
                  .startsWith("OAuthClientCredentials{")
                  .contains("client 'ai-gateway' at https://login.example.com/oauth2/token")
                  .contains("client_secret_basic")
                  .contains("llm.invoke llm.read")
                  .doesNotContain(SECRET);
              AiGatewayProperties properties = context.getBean(AiGatewayProperties.class);
              String shown = properties.getPool().getBackends().get(0).toString();
              assertThat(shown).contains("client-secret=****").doesNotContain(SECRET);
              assertThat(context.getBean(AiGateway.class).toString()).doesNotContain(SECRET);
            });
  }

  @Test
  void aTokenUrlsQueryNeverShowsInTheBackendsText() {
    // A token endpoint behind a function or a gateway may take its key in the query (?code=).
    runner
        .withPropertyValues(
            "ai-gateway.pool.backends[0].id=internal",
            "ai-gateway.pool.backends[0].url=https://llm.internal.example.com",
            "ai-gateway.pool.backends[0].flavor=openai-compatible",
            "ai-gateway.pool.backends[0].oauth.token-url="
                + "https://login.example.com/oauth2/token?code=url-SECRET-starter",
            "ai-gateway.pool.backends[0].oauth.client-id=ai-gateway",
            "ai-gateway.pool.backends[0].oauth.client-secret=" + SECRET)
        .run(
            context -> {
              assertThat(onlyBackend(context).credential().toString())
                  .contains("at https://login.example.com/oauth2/token,")
                  .doesNotContain("url-SECRET");
              AiGatewayProperties properties = context.getBean(AiGatewayProperties.class);
              assertThat(properties.getPool().getBackends().get(0).toString())
                  .contains("token-url=https://login.example.com/oauth2/token?code=***")
                  .doesNotContain("url-SECRET");
            });
  }

  @Test
  void oauthWithAPemPrivateKeySignsAssertions(@TempDir Path dir) throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    byte[] pkcs8 = generator.generateKeyPair().getPrivate().getEncoded();
    Path pem = dir.resolve("client.pem");
    Files.writeString(
        pem,
        "-----BEGIN PRIVATE KEY-----\n"
            + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(pkcs8)
            + "\n-----END PRIVATE KEY-----\n");
    runner
        .withPropertyValues(
            "ai-gateway.pool.backends[0].id=internal",
            "ai-gateway.pool.backends[0].url=https://llm.internal.example.com",
            "ai-gateway.pool.backends[0].oauth.token-url=https://login.example.com/token",
            "ai-gateway.pool.backends[0].oauth.client-id=ai-gateway",
            "ai-gateway.pool.backends[0].oauth.private-key=file:" + pem,
            "ai-gateway.pool.backends[0].oauth.private-key-id=key-1",
            "ai-gateway.pool.backends[0].oauth.private-key-algorithm=PS256")
        .run(
            context ->
                assertThat(onlyBackend(context).credential().toString())
                    .contains("private_key_jwt PS256 kid key-1"));
  }

  @Test
  void aPemKeyPastedWhereItsLocationGoesFailsStartupWithoutShowingTheKey() throws Exception {
    java.security.KeyPairGenerator generator = java.security.KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    String body =
        Base64.getMimeEncoder(64, new byte[] {'\n'})
            .encodeToString(generator.generateKeyPair().getPrivate().getEncoded());
    String pem = "-----BEGIN PRIVATE KEY-----\n" + body + "\n-----END PRIVATE KEY-----\n";
    // Any line of the key's base64 (the first one is the same for every RSA 2048 key).
    String keyLine = body.split("\n")[3];
    runner
        .withPropertyValues(
            "ai-gateway.pool.backends[0].id=internal",
            "ai-gateway.pool.backends[0].url=https://llm.internal.example.com",
            "ai-gateway.pool.backends[0].oauth.token-url=https://login.example.com/token",
            "ai-gateway.pool.backends[0].oauth.client-id=ai-gateway",
            "ai-gateway.pool.backends[0].oauth.private-key=" + pem)
        .run(
            context -> {
              assertThat(propertyFailure(context))
                  .hasMessageStartingWith("ai-gateway.pool.backends[0].oauth.private-key:");
              java.io.StringWriter trace = new java.io.StringWriter();
              context.getStartupFailure().printStackTrace(new java.io.PrintWriter(trace));
              assertThat(trace.toString()).doesNotContain(keyLine);
            });
    SecurityProperties.OAuth oauth = new SecurityProperties.OAuth();
    oauth.setPrivateKey(new org.springframework.core.io.DefaultResourceLoader().getResource(pem));
    assertThat(oauth.toString()).doesNotContain(keyLine);
  }

  @Test
  void aKeysBase64PastedWithoutItsPemHeaderFailsStartupWithoutShowingTheKey() throws Exception {
    java.security.KeyPairGenerator generator = java.security.KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    // The key's base64 on one line, without the BEGIN and END lines (as an environment variable
    // or a secret manager often holds it).
    String base64 =
        Base64.getEncoder().encodeToString(generator.generateKeyPair().getPrivate().getEncoded());
    // A stretch of the key past its first bytes (which are the same for every RSA 2048 key).
    String keyPart = base64.substring(200, 264);
    runner
        .withPropertyValues(
            "ai-gateway.pool.backends[0].id=internal",
            "ai-gateway.pool.backends[0].url=https://llm.internal.example.com",
            "ai-gateway.pool.backends[0].oauth.token-url=https://login.example.com/token",
            "ai-gateway.pool.backends[0].oauth.client-id=ai-gateway",
            "ai-gateway.pool.backends[0].oauth.private-key=" + base64)
        .run(
            context -> {
              assertThat(propertyFailure(context))
                  .hasMessageStartingWith("ai-gateway.pool.backends[0].oauth.private-key:");
              java.io.StringWriter trace = new java.io.StringWriter();
              context.getStartupFailure().printStackTrace(new java.io.PrintWriter(trace));
              assertThat(trace.toString()).doesNotContain(keyPart);
            });
    SecurityProperties.OAuth oauth = new SecurityProperties.OAuth();
    oauth.setPrivateKey(
        new org.springframework.core.io.DefaultResourceLoader().getResource(base64));
    assertThat(oauth.toString()).doesNotContain(keyPart);
    // A location is still shown as it is.
    oauth.setPrivateKey(
        new org.springframework.core.io.DefaultResourceLoader().getResource("keys/llm-client.pem"));
    assertThat(oauth.toString()).contains("keys/llm-client.pem");
  }

  @Test
  void aPemThatIsNotAPkcs8KeyFailsStartupNamingTheProperty(@TempDir Path dir) throws Exception {
    Path pem = dir.resolve("rsa.pem");
    Files.writeString(
        pem, "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
    runner
        .withPropertyValues(
            "ai-gateway.pool.backends[0].id=internal",
            "ai-gateway.pool.backends[0].url=https://llm.internal.example.com",
            "ai-gateway.pool.backends[0].oauth.token-url=https://login.example.com/token",
            "ai-gateway.pool.backends[0].oauth.client-id=ai-gateway",
            "ai-gateway.pool.backends[0].oauth.private-key=file:" + pem)
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .hasMessageContaining("ai-gateway.pool.backends[0].oauth.private-key")
                    .hasMessageContaining("openssl pkcs8"));
  }

  @Test
  void missingOrConflictingOauthPropertiesFailStartupNamingTheProperty() {
    String[] base = {
      "ai-gateway.pool.backends[0].id=internal",
      "ai-gateway.pool.backends[0].url=https://llm.internal.example.com",
    };
    runner
        .withPropertyValues(base)
        .withPropertyValues(
            "ai-gateway.pool.backends[0].oauth.client-id=ai-gateway",
            "ai-gateway.pool.backends[0].oauth.client-secret=" + SECRET)
        .run(
            context -> {
              assertThat(propertyFailure(context))
                  .hasMessageContaining("ai-gateway.pool.backends[0].oauth.token-url");
              assertThat(allMessages(context.getStartupFailure())).doesNotContain(SECRET);
            });
    runner
        .withPropertyValues(base)
        .withPropertyValues(
            "ai-gateway.pool.backends[0].oauth.token-url=https://login.example.com/token",
            "ai-gateway.pool.backends[0].oauth.client-id=ai-gateway")
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .hasMessageContaining("ai-gateway.pool.backends[0].oauth.client-secret")
                    .hasMessageContaining("client-secret or private-key"));
    runner
        .withPropertyValues(base)
        .withPropertyValues(
            "ai-gateway.pool.backends[0].api-key=azure-key-b-SECRET",
            "ai-gateway.pool.backends[0].oauth.token-url=https://login.example.com/token",
            "ai-gateway.pool.backends[0].oauth.client-id=ai-gateway",
            "ai-gateway.pool.backends[0].oauth.client-secret=" + SECRET)
        .run(
            context -> {
              assertThat(propertyFailure(context))
                  .hasMessageContaining("ai-gateway.pool.backends[0].oauth")
                  .hasMessageContaining("one of api-key, oauth, entra-id");
              assertThat(allMessages(context.getStartupFailure()))
                  .doesNotContain(SECRET)
                  .doesNotContain("azure-key-b-SECRET");
            });
    runner
        .withPropertyValues(base)
        .withPropertyValues(
            "ai-gateway.pool.backends[0].oauth.token-url=http://login.example.com/token",
            "ai-gateway.pool.backends[0].oauth.client-id=ai-gateway",
            "ai-gateway.pool.backends[0].oauth.client-secret=" + SECRET)
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .hasMessageContaining("ai-gateway.pool.backends[0].oauth.token-url"));
  }

  @Test
  void oauthSettingsOfTheOtherWayToAuthenticateFailStartupInsteadOfBeingIgnored(@TempDir Path dir)
      throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    Path pem = dir.resolve("client.pem");
    Files.writeString(
        pem,
        "-----BEGIN PRIVATE KEY-----\n"
            + Base64.getMimeEncoder(64, new byte[] {'\n'})
                .encodeToString(generator.generateKeyPair().getPrivate().getEncoded())
            + "\n-----END PRIVATE KEY-----\n");
    String[] base = {
      "ai-gateway.pool.backends[0].id=internal",
      "ai-gateway.pool.backends[0].url=https://llm.internal.example.com",
      "ai-gateway.pool.backends[0].oauth.token-url=https://login.example.com/token",
      "ai-gateway.pool.backends[0].oauth.client-id=ai-gateway",
    };
    // client_secret_basic asked for, but a private key given: a private-key JWT is sent instead
    runner
        .withPropertyValues(base)
        .withPropertyValues(
            "ai-gateway.pool.backends[0].oauth.private-key=file:" + pem,
            "ai-gateway.pool.backends[0].oauth.client-authentication=basic")
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .hasMessageStartingWith(
                        "ai-gateway.pool.backends[0].oauth.client-authentication:"));
    // a key id or algorithm for a key that is not there: a client secret is sent instead
    runner
        .withPropertyValues(base)
        .withPropertyValues(
            "ai-gateway.pool.backends[0].oauth.client-secret=" + SECRET,
            "ai-gateway.pool.backends[0].oauth.private-key-id=key-1")
        .run(
            context -> {
              assertThat(propertyFailure(context))
                  .hasMessageStartingWith("ai-gateway.pool.backends[0].oauth.private-key-id:");
              assertThat(allMessages(context.getStartupFailure())).doesNotContain(SECRET);
            });
    runner
        .withPropertyValues(base)
        .withPropertyValues(
            "ai-gateway.pool.backends[0].oauth.client-secret=" + SECRET,
            "ai-gateway.pool.backends[0].oauth.private-key-algorithm=ES256")
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .hasMessageStartingWith(
                        "ai-gateway.pool.backends[0].oauth.private-key-algorithm:"));
  }

  // ---- Entra ID

  @Test
  void entraIdUsesAManagedIdentityWhenTheModuleIsThere() {
    runner
        .withPropertyValues(
            "ai-gateway.pool.backends[0].id=eastus",
            "ai-gateway.pool.backends[0].url=https://eastus.openai.azure.com",
            "ai-gateway.pool.backends[0].flavor=azure-v1",
            "ai-gateway.pool.backends[0].entra-id.enabled=true",
            "ai-gateway.pool.backends[0].entra-id.client-id=00000000-0000-0000-0000-000000000001",
            "ai-gateway.pool.backends[0].entra-id.scope=https://ai.azure.com/.default")
        .run(
            context ->
                assertThat(onlyBackend(context).credential().toString())
                    .startsWith("EntraIdCredentials{")
                    .contains("scope 'https://ai.azure.com/.default'")
                    .contains("ManagedIdentityCredential"));
  }

  @Test
  void entraIdWithoutTheModuleFailsStartupSayingWhichModuleToAdd() {
    runner
        .withClassLoader(new FilteredClassLoader("dev.aigateway.azure.identity"))
        .withPropertyValues(
            "ai-gateway.pool.backends[0].id=eastus",
            "ai-gateway.pool.backends[0].url=https://eastus.openai.azure.com",
            "ai-gateway.pool.backends[0].flavor=azure-v1",
            "ai-gateway.pool.backends[0].entra-id.enabled=true")
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .hasMessageContaining("ai-gateway.pool.backends[0].entra-id")
                    .hasMessageContaining("ai-gateway-azure-identity"));
  }

  @Test
  void entraIdSettingsWithoutEnabledFailStartupInsteadOfSendingTheAppsCredentials() {
    runner
        .withPropertyValues(
            "ai-gateway.pool.backends[0].id=eastus",
            "ai-gateway.pool.backends[0].url=https://eastus.openai.azure.com",
            "ai-gateway.pool.backends[0].flavor=azure-v1",
            "ai-gateway.pool.backends[0].entra-id.client-id=00000000-0000-0000-0000-000000000001",
            "ai-gateway.pool.backends[0].entra-id.scope=https://ai.azure.com/.default")
        .run(
            context -> {
              if (context.getStartupFailure() == null) {
                throw new AssertionError(
                    "started with the backend's Entra ID settings ignored, its credential: "
                        + onlyBackend(context).credential());
              }
              assertThat(propertyFailure(context))
                  .hasMessageStartingWith("ai-gateway.pool.backends[0].entra-id.enabled:");
            });
  }

  // ---- access rules

  @Test
  void accessRulesAreBuiltAsConfigured() {
    runner
        .withPropertyValues(
            "ai-gateway.pool.backends[0].id=eu",
            "ai-gateway.pool.backends[0].url=" + backend.url("/").toString(),
            "ai-gateway.consumer-key.header=x-consumer-id",
            "ai-gateway.access.default-decision=deny",
            "ai-gateway.access.role-header=x-roles",
            "ai-gateway.access.rules[0].role=analyst",
            "ai-gateway.access.rules[0].models=gpt-4o-mini*",
            "ai-gateway.access.rules[0].streaming=false",
            "ai-gateway.access.rules[0].max-output-tokens=2000",
            "ai-gateway.access.rules[1].consumer=indexer",
            "ai-gateway.access.rules[1].name=indexing",
            "ai-gateway.access.rules[1].operations=embeddings",
            "ai-gateway.access.rules[1].backends=eu")
        .run(
            context -> {
              AccessPolicy policy = context.getBean(AiGateway.class).accessPolicy();
              assertThat(policy.allowsByDefault()).isFalse();
              AccessRule analyst = policy.rules().get(0);
              assertThat(analyst.subjectId()).isEqualTo("analyst");
              assertThat(analyst.models()).containsExactly("gpt-4o-mini*");
              assertThat(analyst.streaming()).isFalse();
              assertThat(analyst.maxOutputTokens().getAsLong()).isEqualTo(2000);
              AccessRule indexer = policy.rules().get(1);
              assertThat(indexer.name()).isEqualTo("indexing");
              assertThat(indexer.operations()).containsExactly(Operation.EMBEDDINGS);
              assertThat(indexer.backends()).isEqualTo(Set.of("eu"));
            });
  }

  @Test
  void theRoleHeaderDecidesEndToEnd() {
    backend.enqueue(chatAnswer());
    runner
        .withPropertyValues(
            "ai-gateway.access.default-decision=deny",
            "ai-gateway.access.role-header=x-roles",
            "ai-gateway.access.rules[0].role=analyst",
            "ai-gateway.access.rules[0].models=gpt-4o-mini*")
        .run(
            context -> {
              OkHttpClient client =
                  OkHttpAiGateway.wrap(new OkHttpClient(), context.getBean(AiGateway.class));
              try (Response allowed = chat(client, "gpt-4o-mini", "x-roles", "analyst")) {
                assertThat(allowed.code()).isEqualTo(200);
              }
              try (Response denied = chat(client, "gpt-4o", "x-roles", "analyst")) {
                assertThat(denied.code()).isEqualTo(403);
                assertThat(denied.body().string()).contains("access_denied");
              }
              assertThat(backend.getRequestCount()).isEqualTo(1);
              assertThat(backend.takeRequest().getHeader("x-roles")).isNull();
            });
  }

  @Test
  void aRoleRuleWithoutARoleHeaderOrJwtFailsStartupNamingTheProperty() {
    runner
        .withPropertyValues(
            "ai-gateway.access.default-decision=allow",
            "ai-gateway.access.rules[0].role=analyst",
            "ai-gateway.access.rules[0].models=gpt-4o-mini*")
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .hasMessageContaining("ai-gateway.access.rules[0].role")
                    .hasMessageContaining("ai-gateway.access.role-header")
                    .hasMessageContaining("ai-gateway.jwt"));
  }

  @Test
  void rulesWithoutADefaultDecisionOrWithBothSubjectsFailStartupNamingTheProperty() {
    runner
        .withPropertyValues("ai-gateway.access.rules[0].role=analyst")
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .hasMessageContaining("ai-gateway.access.default-decision")
                    .hasMessageContaining("deny")
                    .hasMessageContaining("allow"));
    runner
        .withPropertyValues(
            "ai-gateway.access.default-decision=allow",
            "ai-gateway.access.rules[0].role=analyst",
            "ai-gateway.access.rules[0].consumer=bob")
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .hasMessageContaining("ai-gateway.access.rules[0].consumer")
                    .hasMessageContaining("not both"));
    runner
        .withPropertyValues(
            "ai-gateway.access.default-decision=deny",
            "ai-gateway.access.rules[0].role=analyst",
            "ai-gateway.access.rules[0].max-output-tokens=0")
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .hasMessageContaining("ai-gateway.access.rules[0].max-output-tokens"));
  }

  // ---- JWT callers

  @Test
  void jwtWithoutIssuerOrAudienceFailsStartupNamingTheProperty() {
    runner
        .withPropertyValues(
            "ai-gateway.jwt.jwks-url=https://login.example.com/jwks.json",
            "ai-gateway.jwt.audiences=ai-gateway")
        .run(
            context ->
                assertThat(propertyFailure(context)).hasMessageContaining("ai-gateway.jwt.issuer"));
    runner
        .withPropertyValues(
            "ai-gateway.jwt.jwks-url=https://login.example.com/jwks.json",
            "ai-gateway.jwt.issuer=https://login.example.com/")
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .hasMessageContaining("ai-gateway.jwt.audiences"));
    runner
        .withClassLoader(new FilteredClassLoader("dev.aigateway.jwt"))
        .withPropertyValues(
            "ai-gateway.jwt.jwks-url=https://login.example.com/jwks.json",
            "ai-gateway.jwt.issuer=https://login.example.com/",
            "ai-gateway.jwt.audiences=ai-gateway")
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .hasMessageContaining("ai-gateway.jwt")
                    .hasMessageContaining("ai-gateway-jwt"));
  }

  @Test
  void aKeySetOverPlainHttpFailsStartupUnlessAllowedByItsProperty() {
    String[] jwt = {
      "ai-gateway.jwt.jwks-url=http://keycloak:8080/realms/x/protocol/openid-connect/certs",
      "ai-gateway.jwt.issuer=http://keycloak:8080/realms/x",
      "ai-gateway.jwt.audiences=ai-gateway"
    };
    runner
        .withPropertyValues(jwt)
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .hasMessageContaining("ai-gateway.jwt.jwks-url")
                    .hasMessageContaining("allowPlainHttpKeySet"));
    runner
        .withPropertyValues(jwt)
        .withPropertyValues("ai-gateway.jwt.allow-plain-http-key-set=true")
        .run(context -> assertThat(context).hasNotFailed());
  }

  @Test
  void jwtSettingsWithoutTheKeySetFailStartupInsteadOfLeavingCallersUnchecked() {
    // Settings of the JWT group without its key set (say, the profile holding jwks-url, issuer
    // and audiences is not active): the gateway must not start checking no token at all.
    runner
        .withPropertyValues("ai-gateway.jwt.required=true", "ai-gateway.jwt.role-claims=roles")
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .hasMessageContaining("ai-gateway.jwt.jwks-url"));
    runner
        .withPropertyValues("ai-gateway.jwt.strip-token=true")
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .hasMessageContaining("ai-gateway.jwt.jwks-url"));
  }

  @Test
  void aPlainHttpKeySetAllowedWithoutTheKeySetFailsStartupInsteadOfLeavingCallersUnchecked() {
    // The rest of the JWT group in a profile that is not active: the one setting left must not
    // pass unnoticed while no token is checked.
    runner
        .withPropertyValues("ai-gateway.jwt.allow-plain-http-key-set=true")
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .hasMessageStartingWith("ai-gateway.jwt.jwks-url"));
  }

  @Test
  void aBareNumberOAuthRefreshAheadIsMillisecondsAndFailsStartupNamingTheProperty() {
    // "refresh-ahead: 300" meant five minutes; as 300 ms a token would be refreshed as it expires.
    runner
        .withPropertyValues(
            "ai-gateway.pool.backends[0].id=internal",
            "ai-gateway.pool.backends[0].url=https://llm.internal.example.com",
            "ai-gateway.pool.backends[0].oauth.token-url=https://login.example.com/oauth2/token",
            "ai-gateway.pool.backends[0].oauth.client-id=ai-gateway",
            "ai-gateway.pool.backends[0].oauth.client-secret=" + SECRET,
            "ai-gateway.pool.backends[0].oauth.refresh-ahead=300")
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .hasMessageStartingWith("ai-gateway.pool.backends[0].oauth.refresh-ahead:")
                    .hasMessageContaining("300 ms")
                    .hasMessageNotContaining(SECRET));
  }

  @Test
  void bareNumberJwtDurationsAreMillisecondsAndFailStartupNamingTheProperty() {
    for (String[] setting :
        new String[][] {
          {"clock-skew", "60"},
          {"jwks-cache-ttl", "300"},
          {"jwks-refetch-interval", "30"},
          {"jwks-outage-tolerance", "500"}
        }) {
      runner
          .withPropertyValues(
              "ai-gateway.jwt.jwks-url=https://login.example.com/jwks.json",
              "ai-gateway.jwt.issuer=https://login.example.com/",
              "ai-gateway.jwt.audiences=ai-gateway",
              "ai-gateway.jwt." + setting[0] + "=" + setting[1])
          .run(
              context ->
                  assertThat(propertyFailure(context))
                      .hasMessageStartingWith("ai-gateway.jwt." + setting[0] + ":")
                      .hasMessageContaining(setting[1] + " ms"));
    }
  }

  @Test
  void theKeySetsOutageToleranceIsPassedOnAndANegativeOneFailsStartupNamingIt() {
    runner
        .withPropertyValues(
            "ai-gateway.jwt.jwks-url=https://login.example.com/jwks.json",
            "ai-gateway.jwt.issuer=https://login.example.com/",
            "ai-gateway.jwt.audiences=ai-gateway",
            "ai-gateway.jwt.jwks-outage-tolerance=-1s")
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .hasMessageStartingWith("ai-gateway.jwt.jwks-outage-tolerance:")
                    .hasMessageContaining("must not be negative"));
    runner
        .withPropertyValues(
            "ai-gateway.jwt.jwks-url=https://login.example.com/jwks.json",
            "ai-gateway.jwt.issuer=https://login.example.com/",
            "ai-gateway.jwt.audiences=ai-gateway",
            "ai-gateway.jwt.jwks-outage-tolerance=0s")
        .run(context -> assertThat(context).hasNotFailed());
  }

  @Test
  void oauthSettingsWithoutTheTokenUrlFailStartupInsteadOfSendingTheAppsCredentials() {
    runner
        .withPropertyValues(
            "ai-gateway.pool.backends[0].id=internal",
            "ai-gateway.pool.backends[0].url=https://llm.internal.example.com",
            "ai-gateway.pool.backends[0].oauth.private-key-id=key-1",
            "ai-gateway.pool.backends[0].oauth.refresh-ahead=30s")
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .hasMessageContaining("ai-gateway.pool.backends[0].oauth.token-url"));
  }

  @Test
  void aJwtProtectedCallIsRefusedEndToEndUnlessItsTokenIsValid() throws Exception {
    RSAKey key = new RSAKeyGenerator(2048).keyID("k1").generate();
    RSAKey forger = new RSAKeyGenerator(2048).keyID("k1").generate();
    try (MockWebServer issuer = new MockWebServer()) {
      issuer.setDispatcher(
          new okhttp3.mockwebserver.Dispatcher() {
            @Override
            public MockResponse dispatch(okhttp3.mockwebserver.RecordedRequest request) {
              return new MockResponse()
                  .setHeader("Content-Type", "application/json")
                  .setBody(new JWKSet(key.toPublicJWK()).toString(true));
            }
          });
      issuer.start();
      backend.enqueue(chatAnswer());
      runner
          .withPropertyValues(
              "ai-gateway.jwt.jwks-url=" + issuer.url("/jwks.json"),
              "ai-gateway.jwt.issuer=https://login.example.com/",
              "ai-gateway.jwt.audiences=ai-gateway",
              "ai-gateway.jwt.role-claims=roles",
              "ai-gateway.jwt.strip-token=true",
              "ai-gateway.access.default-decision=deny",
              "ai-gateway.access.rules[0].role=analyst",
              "ai-gateway.access.rules[0].models=gpt-4o-mini*")
          .run(
              context -> {
                OkHttpClient client =
                    OkHttpAiGateway.wrap(new OkHttpClient(), context.getBean(AiGateway.class));
                try (Response none = chat(client, "gpt-4o-mini", null, null)) {
                  assertThat(none.code()).isEqualTo(401);
                  assertThat(none.body().string()).contains("invalid_token");
                }
                String forged = token(forger, "https://login.example.com/", "ai-gateway");
                try (Response refused =
                    chat(client, "gpt-4o-mini", "Authorization", "Bearer " + forged)) {
                  assertThat(refused.code()).isEqualTo(401);
                  assertThat(refused.body().string()).doesNotContain(forged);
                }
                String otherAudience = token(key, "https://login.example.com/", "someone-else");
                try (Response refused =
                    chat(client, "gpt-4o-mini", "Authorization", "Bearer " + otherAudience)) {
                  assertThat(refused.code()).isEqualTo(401);
                }
                String valid = token(key, "https://login.example.com/", "ai-gateway");
                try (Response allowed =
                    chat(client, "gpt-4o-mini", "Authorization", "Bearer " + valid)) {
                  assertThat(allowed.code()).isEqualTo(200);
                }
                assertThat(backend.getRequestCount()).isEqualTo(1);
                assertThat(backend.takeRequest().getHeader("Authorization")).isNull();
              });
    }
  }

  @Test
  void aRoleHeaderBesideTheJwtResolverFailsStartup() {
    runner
        .withPropertyValues(
            "ai-gateway.jwt.jwks-url=https://login.example.com/jwks.json",
            "ai-gateway.jwt.issuer=https://login.example.com/",
            "ai-gateway.jwt.audiences=ai-gateway",
            "ai-gateway.access.role-header=x-roles")
        .run(
            context ->
                assertThat(propertyFailure(context))
                    .hasMessageContaining("ai-gateway.access.role-header"));
  }

  @Test
  void theBoundPropertiesNeverPrintASecret() {
    AiGatewayProperties properties =
        Binder.get(
                new org.springframework.mock.env.MockEnvironment()
                    .withProperty("ai-gateway.pool.backends[0].id", "a")
                    .withProperty("ai-gateway.pool.backends[0].api-key", "azure-key-b-SECRET")
                    .withProperty("ai-gateway.pool.backends[0].oauth.client-secret", SECRET))
            .bind("ai-gateway", Bindable.of(AiGatewayProperties.class))
            .get();
    String shown = properties.getPool().getBackends().toString();
    assertThat(shown).contains("api-key=****").doesNotContain("azure-key-b-SECRET");
    assertThat(shown).doesNotContain(SECRET);
  }

  @Test
  void aBackendUrlsQueryValuesAreNotPrinted() {
    AiGatewayProperties properties =
        Binder.get(
                new org.springframework.mock.env.MockEnvironment()
                    .withProperty("ai-gateway.pool.backends[0].id", "a")
                    .withProperty(
                        "ai-gateway.pool.backends[0].url",
                        "https://u:url-PASSWORD@llm.example.com/v1?api-key=url-key-SECRET"))
            .bind("ai-gateway", Bindable.of(AiGatewayProperties.class))
            .get();
    String shown = properties.getPool().getBackends().toString();
    assertThat(shown)
        .contains("url=https://llm.example.com/v1?api-key=***")
        .doesNotContain("url-key-SECRET")
        .doesNotContain("url-PASSWORD");
  }

  // ---- helpers

  private static MockResponse chatAnswer() {
    return new MockResponse()
        .setHeader("Content-Type", "application/json")
        .setBody(
            "{\"id\":\"c1\",\"object\":\"chat.completion\",\"model\":\"gpt-4o-mini\",\"choices\":"
                + "[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hi\"},"
                + "\"finish_reason\":\"stop\"}],"
                + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}");
  }

  private Response chat(OkHttpClient client, String model, String header, String value)
      throws Exception {
    Request.Builder request =
        new Request.Builder()
            .url(backend.url("/v1/chat/completions"))
            .post(
                RequestBody.create(
                    "{\"model\":\""
                        + model
                        + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                    MediaType.get("application/json")));
    if (header != null) {
      request.header(header, value);
    }
    return client.newCall(request.build()).execute();
  }

  private static String token(RSAKey key, String issuer, String audience) throws Exception {
    Instant now = Instant.now();
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(),
            new JWTClaimsSet.Builder()
                .issuer(issuer)
                .audience(audience)
                .subject("alice")
                .claim("roles", List.of("analyst"))
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plusSeconds(600)))
                .build());
    jwt.sign(new RSASSASigner(key));
    return jwt.serialize();
  }
}
