package dev.aigateway.core.adapter;

import static dev.aigateway.core.adapter.ScriptedSender.events;
import static dev.aigateway.core.adapter.ScriptedSender.json;
import static dev.aigateway.core.adapter.ScriptedSender.status;
import static dev.aigateway.core.adapter.ScriptedSender.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.CacheInfo;
import dev.aigateway.api.CacheOutcome;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.api.LimitOutcome;
import dev.aigateway.api.LimitsInfo;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.api.RoutingInfo;
import dev.aigateway.api.Usage;
import dev.aigateway.api.UsageInfo;
import dev.aigateway.api.UsageSource;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.cache.ResponseCache;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.core.pipeline.Admission;
import dev.aigateway.core.routing.Backend;
import dev.aigateway.core.routing.BackendPool;
import dev.aigateway.testing.ManualClock;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Each stage describes its own group of the call's event: a stage the gateway does not have, or
 * that did not run for the call, leaves its group at {@code NONE}.
 */
class EventGroupsTest {

  private static final String APP_URL = "http://app.test:8080/v1/chat/completions";
  private static final String CHAT =
      "{\"model\":\"gpt-4o\",\"max_tokens\":50,\"messages\":[{\"role\":\"user\","
          + "\"content\":\"Hi\"}]}";
  private static final String STREAMED_CHAT = CHAT.replace("]}", "],\"stream\":true}");
  private static final String ANSWER =
      "{\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,"
          + "\"message\":{\"role\":\"assistant\",\"content\":\"Hello\"}}],\"usage\":"
          + "{\"prompt_tokens\":8,\"completion_tokens\":1,\"total_tokens\":9}}";
  private static final String STREAM =
      "data: {\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,"
          + "\"delta\":{\"content\":\"Hello\"}}]}\n\n"
          + "data: {\"model\":\"gpt-4o\",\"choices\":[],\"usage\":{\"prompt_tokens\":8,"
          + "\"completion_tokens\":1,\"total_tokens\":9}}\n\ndata: [DONE]\n\n";

  private final ManualClock clock = ManualClock.at("2026-06-01T10:00:00Z");
  private final List<GatewayEvent> events = new ArrayList<>();
  private final ScriptedSender sender = new ScriptedSender();

  private AiGateway.Builder gateway() {
    return AiGateway.builder().clock(clock).listener(events::add);
  }

  private GovernedCall begin(AiGateway gateway, String body) {
    return gateway.begin(
        gateway.match("POST", "/v1/chat/completions"), PostedRequest.of(APP_URL, body));
  }

  /** Sends an admitted call through the loop and reads its answer to the end. */
  private GatewayEvent call(AiGateway gateway, String body) throws IOException {
    GovernedCall call = begin(gateway, body);
    Admission admission = call.admit();
    assertThat(admission.admitted()).isTrue();
    try (InputStream answer = new AttemptLoop<>(call, sender, pause -> {}).run().body()) {
      answer.readAllBytes();
    }
    return lastEvent();
  }

  private GatewayEvent lastEvent() {
    return events.get(events.size() - 1);
  }

  // ---------------------------------------------------------------- without stages

  @Test
  void aGatewayWithoutStagesLeavesLimitsAndCacheAtNoneAndNamesWhereTheAppSentTheCall()
      throws IOException {
    sender.on(null, json(ANSWER));

    GatewayEvent event = call(gateway().build(), CHAT);

    assertThat(event.limits()).isEqualTo(LimitsInfo.NONE);
    assertThat(event.cache()).isEqualTo(CacheInfo.NONE);
    assertThat(event.routing()).isEqualTo(RoutingInfo.direct("openai", "app.test", 8080));
  }

  @Test
  void eachDirectCallNamesItsOwnServerAsCallsAlternateBetweenServers() throws IOException {
    AiGateway gateway = gateway().build();
    String[] urls = {
      APP_URL,
      APP_URL,
      "http://other.test:8080/v1/chat/completions",
      "http://app.test:9090/v1/chat/completions",
      APP_URL,
      "http://other.test:8080/v1/chat/completions",
      "http://other.test:8080/v1/chat/completions"
    };
    RoutingInfo previous = null;
    for (String url : urls) {
      sender.on(null, json(ANSWER));
      GovernedCall call =
          gateway.begin(gateway.match("POST", "/v1/chat/completions"), PostedRequest.of(url, CHAT));
      assertThat(call.admit().admitted()).isTrue();
      try (InputStream answer = new AttemptLoop<>(call, sender, pause -> {}).run().body()) {
        answer.readAllBytes();
      }
      java.net.URI uri = java.net.URI.create(url);
      RoutingInfo routing = lastEvent().routing();
      assertThat(routing).isEqualTo(RoutingInfo.direct("openai", uri.getHost(), uri.getPort()));
      if (previous != null && previous.equals(routing)) {
        assertThat(routing).as("the same server's routing is reported again").isSameAs(previous);
      }
      previous = routing;
    }
  }

  // ---------------------------------------------------------------- limits

  @Test
  void limitsSayWhatTheLimitReservedAndSettled() throws IOException {
    sender.on(null, json(ANSWER));
    AiGateway gateway =
        gateway().tokenLimit(TokenLimit.perConsumer().name("team").tokensPerMinute(1_000)).build();

    LimitsInfo limits = call(gateway, CHAT).limits();

    assertThat(limits.outcome()).isEqualTo(LimitOutcome.SETTLED);
    assertThat(limits.counterKeys()).containsExactly(Map.entry("team", AiGateway.ANONYMOUS));
    assertThat(limits.reservedTokens()).isGreaterThan(50); // the prompt and the output allowance
    assertThat(limits.settledTokens()).isEqualTo(9);
    assertThat(limits.rejectedLimit()).isNull();
  }

  @Test
  void aLimitThatAppliesToNoOneLeavesLimitsAtNoneThoughTheCallUsedTokens() throws IOException {
    sender.on(null, json(ANSWER));
    AiGateway gateway =
        gateway()
            .consumerKey(KeyResolvers.fixed("someone"))
            .tokenLimit(TokenLimit.perConsumer().tokensPerMinute(1_000).onlyFor("someone-else"))
            .build();

    GatewayEvent event = call(gateway, CHAT);

    assertThat(event.limits()).isEqualTo(LimitsInfo.NONE);
    assertThat(event.usage().tokens().totalTokens()).isEqualTo(9);
  }

  @Test
  void aRejectingLimitIsNamedAndNothingIsCharged() {
    AiGateway gateway =
        gateway().tokenLimit(TokenLimit.perConsumer().name("tiny").tokensPerMinute(5)).build();

    assertThat(begin(gateway, CHAT).admit().admitted()).isFalse();

    GatewayEvent event = lastEvent();
    assertThat(event.rejection()).isEqualTo(RejectionReason.TOKEN_RATE_LIMIT);
    assertThat(event.limits().outcome()).isEqualTo(LimitOutcome.REJECTED);
    assertThat(event.limits().rejectedLimit()).isEqualTo("tiny");
    assertThat(event.limits().reservedTokens()).isZero();
    assertThat(event.limits().settledTokens()).isZero();
    assertThat(event.usage()).isEqualTo(UsageInfo.NONE);
  }

  // ---------------------------------------------------------------- routing

  @Test
  void routingNamesTheBackendsTriedAndWhereTheAnswerCameFrom() throws IOException {
    sender.on("a", status(503)).on("b", json(ANSWER));
    AiGateway gateway =
        gateway()
            .backendPool(
                BackendPool.builder()
                    .backend(Backend.openAiCompatible("a", "http://a.test/"))
                    .backend(Backend.openAiCompatible("b", "https://b.test/"))
                    .build())
            .build();

    RoutingInfo routing = call(gateway, CHAT).routing();

    assertThat(routing.backendId()).isEqualTo("b");
    assertThat(routing.attempts())
        .extracting(a -> a.backendId() + ":" + a.status())
        .containsExactly("a:503", "b:200");
    assertThat(routing.failoverReason()).isEqualTo("503 from a");
    assertThat(routing.variant()).isNull();
    assertThat(routing.provider()).isEqualTo("openai");
    assertThat(routing.serverAddress()).isEqualTo("b.test");
    assertThat(routing.serverPort()).isEqualTo(443);
  }

  @Test
  void aCallNoBackendServesTriedNoBackendAndKeepsTheAppsDestination() {
    AiGateway gateway =
        gateway()
            .backendPool(
                BackendPool.builder()
                    .backend(
                        Backend.openAiCompatible("a", "http://a.test/")
                            .model("gpt-4.1", "gpt-4.1")
                            .build())
                    .build())
            .build();

    assertThat(begin(gateway, CHAT).admit().admitted()).isFalse();

    RoutingInfo routing = lastEvent().routing();
    assertThat(routing.backendId()).isNull();
    assertThat(routing.attempts()).isEmpty();
    assertThat(routing.serverAddress()).isEqualTo("app.test");
  }

  // ---------------------------------------------------------------- cache

  @Test
  void cacheSaysItMissedThenWhatItsHitSaved() throws IOException {
    sender.on(null, json(ANSWER));
    AiGateway gateway = gateway().responseCache(ResponseCache.builder()).build();

    CacheInfo miss = call(gateway, CHAT).cache();
    assertThat(begin(gateway, CHAT).admit().cachedAnswer()).isNotNull();
    CacheInfo hit = lastEvent().cache();

    assertThat(miss).isEqualTo(new CacheInfo(CacheOutcome.MISS, Double.NaN, null, 0));
    assertThat(hit.outcome()).isEqualTo(CacheOutcome.EXACT_HIT);
    assertThat(hit.tokensSaved()).isEqualTo(9);
    assertThat(lastEvent().usage()).isEqualTo(UsageInfo.NONE);
  }

  // ---------------------------------------------------------------- usage and timing

  @Test
  void usageSaysWhatTheCallUsedAndWhereTheCountsCameFrom() throws IOException {
    sender.on(null, json(ANSWER));

    UsageInfo usage = call(gateway().build(), CHAT).usage();

    assertThat(usage.tokens()).isEqualTo(new Usage(8, 1, 9, 0, 0));
    assertThat(usage.inputSource()).isEqualTo(UsageSource.REPORTED);
    assertThat(usage.outputSource()).isEqualTo(UsageSource.REPORTED);
    assertThat(usage.estimated()).isFalse();
    assertThat(usage.capped()).isFalse();
    assertThat(usage.cost()).isNull(); // no price table
  }

  @Test
  void timingHasTheStartAndATimeToFirstChunkForStreamsOnly() throws IOException {
    sender.on(null, json(ANSWER));
    GatewayEvent answered = call(gateway().build(), CHAT);
    sender.on(null, events(text(STREAM)));
    GatewayEvent streamed = call(gateway().build(), STREAMED_CHAT);

    assertThat(answered.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(answered.timing().startedAt()).isEqualTo(clock.instant());
    assertThat(answered.timing().timeToFirstChunk()).isNull();
    assertThat(answered.timing().gatewayTime()).isPositive();
    assertThat(streamed.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(streamed.timing().timeToFirstChunk())
        .isNotNull()
        .isLessThanOrEqualTo(streamed.timing().latency());
  }
}
