package dev.aigateway.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.Caller;
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.api.Operation;
import dev.aigateway.core.access.AccessPolicy;
import dev.aigateway.core.access.AccessRule;
import dev.aigateway.core.access.ToolAccess;
import dev.aigateway.core.agent.A2aAgent;
import dev.aigateway.core.agent.McpServer;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.core.telemetry.PromptLog;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A setting that names consumers needs a consumer to be resolved: without a consumer key (or a
 * caller resolver that proves one) every call is {@value AiGateway#ANONYMOUS}'s, so such a setting
 * would never apply. The gateway refuses to be built so instead of leaving it inert without a word.
 */
class NamedConsumersTest {

  @Test
  void aLimitOnlyForNamedConsumersIsRefusedWithoutAConsumerKey() {
    AiGateway.Builder builder =
        AiGateway.builder()
            .tokenLimit(
                TokenLimit.perConsumer().name("gold").tokensPerMinute(50_000).onlyFor("team-a"));

    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("token limit 'gold'")
        .hasMessageContaining("[team-a]")
        .hasMessageContaining("consumerKey(")
        .hasMessageContaining("'anonymous'");
  }

  @Test
  void anAccessRuleForANamedConsumerIsRefusedWithoutAConsumerKey() {
    AiGateway.Builder builder =
        AiGateway.builder()
            .accessPolicy(
                AccessPolicy.allowByDefault()
                    .consumer("indexer", rule -> rule.operations(Operation.EMBEDDINGS)));

    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("access rule 'consumer:indexer'")
        .hasMessageContaining("consumerKey(");
  }

  @Test
  void aRoleResolverAloneResolvesNoConsumer() {
    AiGateway.Builder builder =
        AiGateway.builder()
            .roleResolver(request -> Set.of("analyst"))
            .tokenLimit(TokenLimit.global().tokensPerMinute(1_000).onlyFor("team-a"));

    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("[team-a]");
  }

  @Test
  void namedConsumersAreKeptWithAConsumerKeyOrACallerResolver() {
    TokenLimit gold =
        TokenLimit.perConsumer().name("gold").tokensPerMinute(1).onlyFor("team-a").build();
    AccessPolicy policy = AccessPolicy.allowByDefault().consumer("indexer", rule -> {}).build();

    AiGateway keyed =
        AiGateway.builder()
            .consumerKey(KeyResolvers.header("x-consumer-id"))
            .tokenLimit(gold)
            .accessPolicy(policy)
            .build();
    AiGateway proved =
        AiGateway.builder()
            .callerResolver(request -> Caller.of("team-a", Set.of()))
            .tokenLimit(gold)
            .accessPolicy(policy)
            .build();

    assertThat(keyed.limits()).containsExactly(gold);
    assertThat(proved.limits()).containsExactly(gold);
  }

  @Test
  void aLimitOnlyForAConsumerWrittenWithSurroundingSpaceAppliesToTheOneTheResolversGive() {
    // KeyResolvers.header(..) gives the header's value trimmed, as AccessRule reads its consumer.
    TokenLimit gold = TokenLimit.perConsumer().tokensPerMinute(1).onlyFor(" team-a ").build();

    assertThat(gold.onlyFor()).containsExactly("team-a");
    assertThat(gold.appliesTo("team-a")).isTrue();
  }

  @Test
  void aLimitOnlyForTheAnonymousConsumerNeedsNoConsumerKey() {
    TokenLimit anonymous = TokenLimit.global().tokensPerMinute(1_000).onlyFor("anonymous").build();

    AiGateway gateway = AiGateway.builder().tokenLimit(anonymous).build();

    assertThat(gateway.limits()).containsExactly(anonymous);
  }

  @Test
  void aPromptLogOnlyForNamedConsumersIsRefusedWithoutAConsumerKey() {
    AiGateway.Builder builder =
        AiGateway.builder().promptLog(PromptLog.builder().consumers("team-a"));

    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("prompt log")
        .hasMessageContaining("[team-a]")
        .hasMessageContaining("consumerKey(");
  }

  @Test
  void aPromptLogReadsConsumerIdsTrimmedAsTheResolversGiveThem() {
    PromptLog log = PromptLog.builder().consumers(" team-a ").build();

    assertThat(log.consumers()).containsExactly("team-a");
  }

  @Test
  void toolAccessNamingAConsumerIsRefusedWithoutAConsumerKey() {
    AiGateway.Builder mcp =
        AiGateway.builder()
            .mcpServer(
                McpServer.builder("github", "https://mcp.example.com/mcp")
                    .access(ToolAccess.denyByDefault().allowConsumer("ci-bot", "list_*")));
    AiGateway.Builder a2a =
        AiGateway.builder()
            .agent(
                A2aAgent.builder("planner", "https://agents.example.com/planner")
                    .access(ToolAccess.allowByDefault().denyConsumer(" intern ", "*")));

    assertThatThrownBy(mcp::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("MCP server 'github'")
        .hasMessageContaining("[ci-bot]")
        .hasMessageContaining("consumerKey(");
    assertThatThrownBy(a2a::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("agent 'planner'")
        .hasMessageContaining("[intern]");
  }

  @Test
  void toolAccessNamingARoleIsRefusedWithoutARoleOrCallerResolver() {
    AiGateway.Builder builder =
        AiGateway.builder()
            .consumerKey(KeyResolvers.header("x-consumer-id"))
            .mcpServer(
                McpServer.builder("github", "https://mcp.example.com/mcp")
                    .access(ToolAccess.denyByDefault().allowRole("developer", "*")));

    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("MCP server 'github'")
        .hasMessageContaining("[developer]")
        .hasMessageContaining("roleResolver(");
    assertThat(builder.roleResolver(request -> Set.of("developer")).build().agentGovernance())
        .isNotNull();
  }

  @Test
  void theRefusalSaysWhichSettingNamesWhichCallers() {
    // One exception for every setting that names callers, so a builder's configurer (the Spring
    // Boot starter) maps it to its own setting without checking it again.
    assertThatThrownBy(
            AiGateway.builder()
                    .tokenLimit(
                        TokenLimit.perConsumer()
                            .name("gold")
                            .onlyFor("team-a")
                            .requestsPerMinute(5))
                ::build)
        .isInstanceOfSatisfying(
            UnresolvedCallersException.class,
            e -> {
              assertThat(e.setting()).isEqualTo(UnresolvedCallersException.Setting.TOKEN_LIMIT);
              assertThat(e.settingName()).isEqualTo("gold");
              assertThat(e.subject()).isEqualTo(AccessRule.Subject.CONSUMER);
              assertThat(e.names()).containsExactly("team-a");
            });
    assertThatThrownBy(
            AiGateway.builder()
                    .consumerKey(KeyResolvers.header("x-consumer-id"))
                    .accessPolicy(
                        AccessPolicy.denyByDefault()
                            .role("analyst", rule -> rule.operations(Operation.EMBEDDINGS)))
                ::build)
        .isInstanceOfSatisfying(
            UnresolvedCallersException.class,
            e -> {
              assertThat(e.setting()).isEqualTo(UnresolvedCallersException.Setting.ACCESS_RULE);
              assertThat(e.settingName()).isEqualTo("role:analyst");
              assertThat(e.subject()).isEqualTo(AccessRule.Subject.ROLE);
              assertThat(e.names()).containsExactly("analyst");
              assertThat(e).hasMessageContaining("roleResolver(");
            });
    assertThatThrownBy(
            AiGateway.builder().promptLog(PromptLog.builder().consumers("team-a"))::build)
        .isInstanceOfSatisfying(
            UnresolvedCallersException.class,
            e -> {
              assertThat(e.setting()).isEqualTo(UnresolvedCallersException.Setting.PROMPT_LOG);
              assertThat(e.settingName()).isNull();
              assertThat(e.names()).containsExactly("team-a");
            });
  }
}
