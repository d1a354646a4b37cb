package dev.aigateway.core.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.AccessCheck;
import dev.aigateway.api.AccessInfo;
import dev.aigateway.api.CallMatch;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.Caller;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.api.Operation;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.api.RoleResolver;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.adapter.GovernedCall;
import dev.aigateway.core.pipeline.Admission;
import dev.aigateway.core.pipeline.AttemptPlan;
import dev.aigateway.core.routing.Backend;
import dev.aigateway.core.routing.BackendPool;
import dev.aigateway.core.wire.ClientRequest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The access rules, checked through the gateway as an adapter drives it. */
class AccessPolicyTest {

  private static final String CHAT_URL = "https://api.example.com/v1/chat/completions";
  private static final String EMBEDDINGS_URL = "https://api.example.com/v1/embeddings";

  private final List<GatewayEvent> events = new CopyOnWriteArrayList<>();

  /** A POST with headers (lower-case names), as an adapter hands it over. */
  record Posted(String url, byte[] body, Map<String, String> headers) implements ClientRequest {
    @Override
    public String method() {
      return "POST";
    }

    @Override
    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    @Override
    public <T> T tag(Class<? extends T> type) {
      return null;
    }
  }

  private AiGateway gateway(AccessPolicy.Builder policy) {
    return AiGateway.builder()
        .listener(events::add)
        .consumerKey(KeyResolvers.header("x-consumer"))
        .roleResolver(RoleResolver.header("x-roles"))
        .accessPolicy(policy)
        .build();
  }

  private static String chat(String model, boolean stream, Integer maxTokens) {
    return "{\"model\":\""
        + model
        + "\""
        + (stream ? ",\"stream\":true" : "")
        + (maxTokens == null ? "" : ",\"max_tokens\":" + maxTokens)
        + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  }

  private static Admission call(
      AiGateway gateway, String consumer, String roles, Operation op, String body) {
    GovernedCall call = begin(gateway, consumer, roles, op, body);
    Admission admission = call.admit();
    if (admission.admitted()) {
      call.failed(new java.io.IOException("not sent in this test")); // ends it: one event
    }
    return admission;
  }

  private static GovernedCall begin(
      AiGateway gateway, String consumer, String roles, Operation op, String body) {
    Map<String, String> headers = new java.util.HashMap<>();
    if (consumer != null) {
      headers.put("x-consumer", consumer);
    }
    if (roles != null) {
      headers.put("x-roles", roles);
    }
    String url = op == Operation.EMBEDDINGS ? EMBEDDINGS_URL : CHAT_URL;
    return gateway.begin(
        new CallMatch(op, null), new Posted(url, body.getBytes(StandardCharsets.UTF_8), headers));
  }

  private static Admission chatCall(AiGateway gateway, String consumer, String roles, String body) {
    return call(gateway, consumer, roles, Operation.CHAT_COMPLETIONS, body);
  }

  private static String bodyOf(Admission admission) {
    return new String(admission.rejection().body(), StandardCharsets.UTF_8);
  }

  private GatewayEvent lastEvent() {
    return events.get(events.size() - 1);
  }

  private void assertDenied(Admission admission, String rule, AccessCheck check) {
    assertThat(admission.admitted()).isFalse();
    assertThat(admission.rejection().status()).isEqualTo(403);
    assertThat(admission.rejection().reason()).isEqualTo(RejectionReason.ACCESS_DENIED);
    assertThat(bodyOf(admission))
        .contains("\"code\":\"access_denied\"")
        .contains("'" + rule + "'")
        .contains("(" + check.label() + ")");
    GatewayEvent event = lastEvent();
    assertThat(event.outcome()).isEqualTo(CallOutcome.REJECTED);
    assertThat(event.rejection()).isEqualTo(RejectionReason.ACCESS_DENIED);
    assertThat(event.access()).isEqualTo(new AccessInfo(AccessInfo.Decision.DENIED, rule, check));
  }

  @Test
  void modelOutsideTheRulesPatternsIsDeniedNamingRuleAndModel() {
    AiGateway gateway =
        gateway(AccessPolicy.denyByDefault().consumer("team-a", r -> r.models("gpt-4o-mini*")));

    Admission denied = chatCall(gateway, "team-a", null, chat("gpt-4o", false, 10));

    assertDenied(denied, "consumer:team-a", AccessCheck.MODEL);
    assertThat(bodyOf(denied)).contains("gpt-4o").contains("\"param\":\"model\"");
    assertThat(chatCall(gateway, "team-a", null, chat("gpt-4o-mini", false, 10)).admitted())
        .isTrue();
    assertThat(lastEvent().access())
        .isEqualTo(new AccessInfo(AccessInfo.Decision.ALLOWED, "consumer:team-a", null));
  }

  @Test
  void aConsumerIdOrRoleWrittenWithSurroundingSpaceIsTheOneTheResolversGive() {
    // The header resolvers trim what they read ("batch", never "batch "), as models(..) trims its
    // patterns: a rule written "batch " (a properties file keeps a trailing space) must still be
    // batch's, or under allowByDefault() batch would be allowed everything the rule restricts.
    AiGateway gateway =
        gateway(
            AccessPolicy.allowByDefault()
                .consumer("batch ", r -> r.models("text-embedding-3-*"))
                .role(" analyst", r -> r.models("gpt-4o-mini*")));

    assertDenied(
        chatCall(gateway, "batch", null, chat("gpt-4o", false, 10)),
        "consumer:batch",
        AccessCheck.MODEL);
    assertDenied(
        chatCall(gateway, "u1", "analyst", chat("gpt-4o", false, 10)),
        "role:analyst",
        AccessCheck.MODEL);

    ToolAccess tools =
        ToolAccess.allowByDefault()
            .denyConsumer("bot ", "delete_*")
            .denyRole("intern\t", "*")
            .build();
    assertThat(tools.check("bot", Set.of(), "delete_repo").allowed()).isFalse();
    assertThat(tools.check("u1", Set.of("intern"), "list_repos").allowed()).isFalse();
  }

  @Test
  void operationNotAllowedIsDenied() {
    AiGateway gateway =
        gateway(
            AccessPolicy.denyByDefault()
                .consumer("batch", r -> r.operations(Operation.EMBEDDINGS)));

    assertDenied(
        chatCall(gateway, "batch", null, chat("gpt-4o", false, 10)),
        "consumer:batch",
        AccessCheck.OPERATION);
    assertThat(
            call(
                    gateway,
                    "batch",
                    null,
                    Operation.EMBEDDINGS,
                    "{\"model\":\"text-embedding-3-small\",\"input\":\"hi\"}")
                .admitted())
        .isTrue();
  }

  @Test
  void streamingIsDeniedWhenTheRuleForbidsIt() {
    AiGateway gateway =
        gateway(AccessPolicy.denyByDefault().role("analyst", r -> r.streaming(false)));

    Admission denied = chatCall(gateway, "u1", "analyst", chat("gpt-4o", true, 10));

    assertDenied(denied, "role:analyst", AccessCheck.STREAM);
    assertThat(bodyOf(denied)).contains("\"param\":\"stream\"");
    assertThat(chatCall(gateway, "u1", "analyst", chat("gpt-4o", false, 10)).admitted()).isTrue();
  }

  @Test
  void outputAllowanceAboveTheMaximumOrUnboundedIsDenied() {
    AiGateway gateway =
        gateway(AccessPolicy.denyByDefault().role("analyst", r -> r.maxOutputTokens(500)));

    assertThat(chatCall(gateway, "u", "analyst", chat("gpt-4o", false, 500)).admitted()).isTrue();
    Admission above = chatCall(gateway, "u", "analyst", chat("gpt-4o", false, 501));
    assertDenied(above, "role:analyst", AccessCheck.OUTPUT_ALLOWANCE);
    assertThat(bodyOf(above)).contains("501").contains("500");
    Admission unbounded = chatCall(gateway, "u", "analyst", chat("gpt-4o", false, null));
    assertDenied(unbounded, "role:analyst", AccessCheck.OUTPUT_ALLOWANCE);
    assertThat(bodyOf(unbounded)).contains("sets no output bound");
  }

  @Test
  void outputAllowanceCountsEveryChoice() {
    AiGateway gateway =
        gateway(AccessPolicy.denyByDefault().role("analyst", r -> r.maxOutputTokens(500)));
    String threeChoices =
        "{\"model\":\"gpt-4o\",\"max_tokens\":200,\"n\":3,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    assertDenied(
        chatCall(gateway, "u", "analyst", threeChoices),
        "role:analyst",
        AccessCheck.OUTPUT_ALLOWANCE);
  }

  @Test
  void embeddingsPassTheOutputAllowanceCheck() {
    AiGateway gateway =
        gateway(AccessPolicy.denyByDefault().role("analyst", r -> r.maxOutputTokens(10)));

    assertThat(
            call(
                    gateway,
                    "u",
                    "analyst",
                    Operation.EMBEDDINGS,
                    "{\"model\":\"text-embedding-3-small\",\"input\":\"hi\"}")
                .admitted())
        .isTrue();
  }

  @Test
  void denyByDefaultRefusesCallersNoRuleAppliesTo() {
    AiGateway gateway =
        gateway(AccessPolicy.denyByDefault().consumer("team-a", r -> r.models("*")));

    Admission denied = chatCall(gateway, "team-b", "nobody", chat("gpt-4o", false, 10));

    assertDenied(denied, AccessInfo.DEFAULT_RULE, AccessCheck.NO_RULE);
    assertThat(bodyOf(denied)).contains("'team-b'");
  }

  @Test
  void allowByDefaultAdmitsCallersNoRuleAppliesToButRestrictsThoseItNames() {
    AiGateway gateway =
        gateway(AccessPolicy.allowByDefault().consumer("intern", r -> r.models("gpt-4o-mini")));

    assertThat(chatCall(gateway, "anyone", null, chat("gpt-4o", false, 10)).admitted()).isTrue();
    assertThat(lastEvent().access())
        .isEqualTo(new AccessInfo(AccessInfo.Decision.ALLOWED, AccessInfo.DEFAULT_RULE, null));
    assertDenied(
        chatCall(gateway, "intern", null, chat("gpt-4o", false, 10)),
        "consumer:intern",
        AccessCheck.MODEL);
  }

  @Test
  void anyOneRuleOfTheCallersRolesMayAllowTheCall() {
    AiGateway gateway =
        gateway(
            AccessPolicy.denyByDefault()
                .role("mini", r -> r.models("gpt-4o-mini"))
                .role("full", r -> r.models("gpt-4o").streaming(false)));

    assertThat(chatCall(gateway, "u", "mini, full", chat("gpt-4o-mini", true, 10)).admitted())
        .isTrue();
    assertThat(lastEvent().access().rule()).isEqualTo("role:mini");
    assertThat(chatCall(gateway, "u", "mini full", chat("gpt-4o", false, 10)).admitted()).isTrue();
    assertThat(lastEvent().access().rule()).isEqualTo("role:full");
  }

  @Test
  void rulesAreAlternativesNotPiecesToCombine() {
    // "mini" may stream gpt-4o-mini, "full" may call gpt-4o without streaming: neither allows a
    // streamed gpt-4o call, so together they do not either.
    AiGateway gateway =
        gateway(
            AccessPolicy.denyByDefault()
                .role("mini", r -> r.models("gpt-4o-mini"))
                .role("full", r -> r.models("gpt-4o").streaming(false)));

    Admission denied = chatCall(gateway, "u", "mini,full", chat("gpt-4o", true, 10));

    // "full" came closest (it failed a later check than "mini").
    assertDenied(denied, "role:full", AccessCheck.STREAM);
  }

  @Test
  void consumerAndRoleRulesBothApply() {
    AiGateway gateway =
        gateway(
            AccessPolicy.denyByDefault()
                .consumer("team-a", r -> r.models("gpt-4o-mini"))
                .role("embedder", r -> r.operations(Operation.EMBEDDINGS)));

    assertThat(chatCall(gateway, "team-a", "embedder", chat("gpt-4o-mini", false, 5)).admitted())
        .isTrue();
    assertThat(
            call(
                    gateway,
                    "team-a",
                    "embedder",
                    Operation.EMBEDDINGS,
                    "{\"model\":\"text-embedding-3-small\",\"input\":\"x\"}")
                .admitted())
        .isTrue();
    assertThat(lastEvent().access().rule()).isEqualTo("role:embedder");
  }

  @Test
  void aRuleWithoutRestrictionsAllowsEverything() {
    AiGateway gateway = gateway(AccessPolicy.denyByDefault().role("admin", r -> {}));

    assertThat(chatCall(gateway, "u", "admin", chat("anything", true, null)).admitted()).isTrue();
  }

  @Test
  void aCallThatNamesNoModelFailsAModelRestriction() {
    AiGateway gateway =
        gateway(AccessPolicy.denyByDefault().consumer("a", r -> r.models("gpt-4o")));

    Admission denied =
        chatCall(gateway, "a", null, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");

    assertDenied(denied, "consumer:a", AccessCheck.MODEL);
    assertThat(bodyOf(denied)).contains("names no model");
  }

  @Test
  void ruleNamesAreUniqueAndReportedByTheirGivenName() {
    assertThatThrownBy(
            () ->
                AccessPolicy.denyByDefault()
                    .consumer("a", r -> r.name("r1"))
                    .role("b", r -> r.name("r1")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'r1' was already added");

    AiGateway gateway =
        gateway(AccessPolicy.denyByDefault().consumer("a", r -> r.name("contract-42").models("x")));
    assertDenied(
        chatCall(gateway, "a", null, chat("y", false, 1)), "contract-42", AccessCheck.MODEL);
  }

  @Test
  void invalidSettingsAreRefusedWithTheValue() {
    assertThatThrownBy(() -> AccessRule.forRole("r").maxOutputTokens(0))
        .hasMessageContaining("but was 0");
    assertThatThrownBy(() -> AccessRule.forConsumer(" ")).hasMessageContaining("' '");
    assertThatThrownBy(() -> AccessRule.forRole("r").models("gpt", "")).hasMessageContaining("''");
    assertThatThrownBy(() -> AccessRule.forRole("r").backends(""))
        .hasMessageContaining("backend name");
  }

  private static BackendPool.Builder pool() {
    return BackendPool.builder()
        .name("chat")
        .backend(Backend.openAi("east", "https://east.example.com"))
        .backend(Backend.openAi("west", "https://west.example.com"))
        .backend(Backend.openAi("minis", "https://minis.example.com").model("gpt-4o-mini", "m"));
  }

  @Test
  void aRoleRuleIsRefusedWithoutARoleOrCallerResolver() {
    // Without one every call has no role: under allowByDefault() the rule's restrictions never
    // bind, under denyByDefault() it never allows.
    AiGateway.Builder builder =
        AiGateway.builder()
            .consumerKey(KeyResolvers.header("x-consumer"))
            .accessPolicy(
                AccessPolicy.allowByDefault().role("analyst", r -> r.models("gpt-4o-mini*")));

    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("access rule 'role:analyst'")
        .hasMessageContaining("roleResolver(")
        .hasMessageContaining("callerResolver(");
    assertThat(builder.resolvesRoles()).isFalse();
    assertThat(builder.roleResolver(RoleResolver.header("x-roles")).resolvesRoles()).isTrue();
    assertThat(builder.build().accessPolicy().rules()).hasSize(1);
  }

  @Test
  void backendRestrictionNeedsAPoolAndKnownNames() {
    assertThatThrownBy(
            () ->
                AiGateway.builder()
                    .roleResolver(RoleResolver.header("x-roles"))
                    .accessPolicy(AccessPolicy.denyByDefault().role("r", x -> x.backends("east")))
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no backend pool");
    assertThatThrownBy(
            () ->
                AiGateway.builder()
                    .backendPool(pool())
                    .roleResolver(RoleResolver.header("x-roles"))
                    .accessPolicy(AccessPolicy.denyByDefault().role("r", x -> x.backends("north")))
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'north'")
        .hasMessageContaining("[east, west, minis]");
  }

  @Test
  void allowedCallsAreRoutedOnlyToTheRulesBackends() throws Exception {
    AiGateway gateway =
        AiGateway.builder()
            .consumerKey(KeyResolvers.header("x-consumer"))
            .backendPool(pool())
            .accessPolicy(AccessPolicy.denyByDefault().consumer("w", r -> r.backends("west")))
            .build();

    for (int i = 0; i < 10; i++) {
      GovernedCall call =
          begin(gateway, "w", null, Operation.CHAT_COMPLETIONS, chat("gpt-4o", false, 5));
      assertThat(call.admit().admitted()).isTrue();
      AttemptPlan plan = call.nextAttempt();
      assertThat(plan.url()).startsWith("https://west.example.com");
      call.failed(new java.io.IOException("not sent in this test"));
    }
  }

  @Test
  void aModelNoneOfTheRulesBackendsServesIsDenied() {
    AiGateway gateway =
        AiGateway.builder()
            .listener(events::add)
            .consumerKey(KeyResolvers.header("x-consumer"))
            .backendPool(pool())
            .accessPolicy(AccessPolicy.denyByDefault().consumer("m", r -> r.backends("minis")))
            .build();

    assertDenied(
        chatCall(gateway, "m", null, chat("gpt-4o", false, 5)), "consumer:m", AccessCheck.BACKEND);
    assertThat(chatCall(gateway, "m", null, chat("gpt-4o-mini", false, 5)).admitted()).isTrue();
  }

  @Test
  void thePoolsNameAllowsAllItsBackends() {
    AiGateway gateway =
        AiGateway.builder()
            .consumerKey(KeyResolvers.header("x-consumer"))
            .backendPool(pool())
            .accessPolicy(AccessPolicy.denyByDefault().consumer("c", r -> r.backends("chat")))
            .build();

    assertThat(chatCall(gateway, "c", null, chat("gpt-4o", false, 5)).admitted()).isTrue();
  }

  @Test
  void aRefusedCallerIsAnswered401WithoutCheckingRules() {
    AiGateway gateway =
        AiGateway.builder()
            .listener(events::add)
            .callerResolver(request -> Caller.refused("the token has expired"))
            .accessPolicy(AccessPolicy.allowByDefault())
            .build();

    Admission refused = chatCall(gateway, null, null, chat("gpt-4o", false, 5));

    assertThat(refused.rejection().status()).isEqualTo(401);
    assertThat(refused.rejection().reason()).isEqualTo(RejectionReason.INVALID_TOKEN);
    assertThat(bodyOf(refused))
        .contains("\"code\":\"invalid_token\"")
        .contains("the token has expired");
    assertThat(lastEvent().access().decision()).isEqualTo(AccessInfo.Decision.INVALID_CREDENTIAL);
  }

  @Test
  void aThrowingCallerResolverRefusesTheCallWithoutItsMessage() {
    AiGateway gateway =
        AiGateway.builder()
            .callerResolver(
                request -> {
                  throw new IllegalStateException("secret-token-value");
                })
            .build();

    Admission refused = chatCall(gateway, null, null, chat("gpt-4o", false, 5));

    assertThat(refused.rejection().status()).isEqualTo(401);
    assertThat(bodyOf(refused)).doesNotContain("secret-token-value");
  }

  @Test
  void aCallerResolversConsumerReplacesTheConsumerKeys() {
    AiGateway gateway =
        AiGateway.builder()
            .listener(events::add)
            .consumerKey(KeyResolvers.header("x-consumer"))
            .callerResolver(request -> Caller.of("from-token", Set.of("r")))
            .accessPolicy(AccessPolicy.denyByDefault().role("r", x -> x.models("gpt-4o")))
            .build();

    assertThat(chatCall(gateway, "from-header", null, chat("gpt-4o", false, 5)).admitted())
        .isTrue();
    GovernedCall call =
        begin(gateway, "from-header", null, Operation.CHAT_COMPLETIONS, chat("gpt-4o", false, 5));
    call.admit();
    call.failed(new java.io.IOException("not sent"));
    assertThat(lastEvent().consumer()).isEqualTo("from-token");
  }

  @Test
  void theRolesHeaderIsSplitOnCommasAndWhitespaceWithoutDuplicates() {
    AiGateway gateway = gateway(AccessPolicy.allowByDefault());
    RoleResolver roles = RoleResolver.header("x-roles");

    assertThat(
            roles.roles(
                begin(gateway, "u", " a,,b \t a, c ", Operation.CHAT_COMPLETIONS, "{}").request()))
        .containsExactlyInAnyOrder("a", "b", "c");
    assertThat(
            roles.roles(
                begin(gateway, "u", "a b c d e f a", Operation.CHAT_COMPLETIONS, "{}").request()))
        .containsExactlyInAnyOrder("a", "b", "c", "d", "e", "f");
    assertThat(roles.roles(begin(gateway, "u", " , ", Operation.CHAT_COMPLETIONS, "{}").request()))
        .isEmpty();
    assertThat(roles.roles(begin(gateway, "u", null, Operation.CHAT_COMPLETIONS, "{}").request()))
        .isEmpty();
  }

  @Test
  void aThrowingRoleResolverRefusesTheCallRatherThanFallingBackToTheDefault() {
    AiGateway gateway =
        AiGateway.builder()
            .listener(events::add)
            .roleResolver(
                request -> {
                  throw new IllegalStateException("boom");
                })
            .accessPolicy(
                AccessPolicy.allowByDefault().role("admin", r -> r.models("never-matches")))
            .build();

    Admission refused = chatCall(gateway, null, null, chat("gpt-4o", false, 5));

    assertThat(refused.rejection().status()).isEqualTo(401);
    assertThat(bodyOf(refused)).doesNotContain("boom");
    assertThat(lastEvent().access().decision()).isEqualTo(AccessInfo.Decision.INVALID_CREDENTIAL);
  }

  @Test
  void theRolesHeaderIsAGatewayHeader() {
    AiGateway gateway = gateway(AccessPolicy.allowByDefault());

    assertThat(gateway.gatewayHeaders()).contains("x-roles", "x-consumer");
  }
}
