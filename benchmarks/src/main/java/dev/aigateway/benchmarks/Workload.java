package dev.aigateway.benchmarks;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.api.GatewayListener;
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.api.Operation;
import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.RoleResolver;
import dev.aigateway.api.spi.TokenLimitStore;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.Prompts;
import dev.aigateway.core.access.AccessPolicy;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.core.tokens.TokenCounter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.Okio;

/**
 * What every benchmark sends, and the gateway it is governed by, so the JMH benchmark and the load
 * harness measure the same thing: OpenAI chat requests charged to a consumer named in a header,
 * under a per-consumer token limit large enough never to reject.
 */
final class Workload {

  static final String MODEL = "gpt-4o-mini";
  static final String CHAT_PATH = "/v1/chat/completions";
  static final String CONSUMER_HEADER = "x-consumer-id";
  static final String ROLES_HEADER = "x-roles";

  /** Tokens per minute per consumer: far above what any run can spend, so nothing is rejected. */
  static final long TOKENS_PER_MINUTE = 10_000_000_000L;

  /** Monthly quota per consumer, likewise never reached. */
  static final long MONTHLY_QUOTA = 1_000_000_000_000_000L;

  private static final MediaType JSON = MediaType.get("application/json");
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String[] WORDS =
      ("the gateway counts every token a consumer spends and "
              + "settles each reservation to the usage the backend reports so quotas stay exact while "
              + "streams pass through chunk by chunk at backend speed")
          .split(" ");

  private Workload() {}

  /**
   * Makes the call, reads the whole body and closes it; returns the bytes read.
   *
   * @throws IOException when the call fails or is not answered 200 (the message holds the body)
   */
  static long call(OkHttpClient client, Request request) throws IOException {
    try (Response response = client.newCall(request).execute()) {
      if (response.code() != 200) {
        throw new IOException(
            "expected 200 but was " + response.code() + ": " + response.body().string());
      }
      return response.body().source().readAll(Okio.blackhole());
    }
  }

  /** {@code client} with {@code backend} as its last interceptor, answering every call. */
  static OkHttpClient withBackend(OkHttpClient client, Interceptor backend) {
    return client.newBuilder().addInterceptor(backend).build();
  }

  /**
   * The gateway under test: one per-consumer limit with a rate and a monthly quota (two counters
   * per call), the consumer read from {@value #CONSUMER_HEADER}.
   *
   * @param estimatePromptTokens whether the limit counts the prompt with jtokkit before the call
   * @param listeners told of every call; none in the JMH benchmark
   */
  static AiGateway gateway(boolean estimatePromptTokens, GatewayListener... listeners) {
    AiGateway.Builder builder = builder(estimatePromptTokens);
    for (GatewayListener listener : listeners) {
      builder.listener(listener);
    }
    return builder.build();
  }

  /**
   * The gateway of {@link #gateway(boolean, GatewayListener...)} without estimation, plus an access
   * policy of ten rules (two for consumers, eight for roles) with model patterns, operations,
   * streaming and output bounds; roles from {@value #ROLES_HEADER}. Only the last rule allows the
   * benchmark's caller (role {@code engineer}), so every rule is looked at.
   */
  static AiGateway gatewayWithAccess() {
    AccessPolicy.Builder policy =
        AccessPolicy.denyByDefault()
            .consumer("batch-1", r -> r.operations(Operation.EMBEDDINGS))
            .consumer("batch-2", r -> r.operations(Operation.EMBEDDINGS).models("text-embed*"));
    String[] roles = {"intern", "analyst", "support", "sales", "research", "ops", "viewer"};
    for (String role : roles) {
      policy.role(
          role, r -> r.models("gpt-3.5*", "*-" + role).streaming(false).maxOutputTokens(500));
    }
    policy.role(
        "engineer",
        r ->
            r.models("o1*", "o3*", "gpt-4.1*", "gpt-4o-mini*")
                .operations(Operation.CHAT_COMPLETIONS, Operation.RESPONSES)
                .maxOutputTokens(4_096));
    return builder(false)
        .roleResolver(RoleResolver.header(ROLES_HEADER))
        .accessPolicy(policy)
        .build();
  }

  /** The same gateway keeping its counters in {@code store} (for example on Redis). */
  static AiGateway gateway(TokenLimitStore store) {
    return builder(true).tokenLimitStore(store).build();
  }

  /** The benchmarks' gateway, to configure further (content safety). */
  static AiGateway.Builder builder(boolean estimatePromptTokens) {
    return AiGateway.builder()
        .consumerKey(KeyResolvers.header(CONSUMER_HEADER))
        .tokenLimit(
            TokenLimit.perConsumer()
                .tokensPerMinute(TOKENS_PER_MINUTE)
                .quota(MONTHLY_QUOTA, QuotaPeriod.MONTHLY)
                .estimatePromptTokens(estimatePromptTokens));
  }

  /** A short chat: a system line and a one-line question, 64 output tokens at most. */
  static byte[] shortChat(boolean stream) {
    return chat("Say hello to the team in five words.", stream);
  }

  /** A chat whose user message is {@code userText}; streamed without asking for usage. */
  static byte[] chat(String userText, boolean stream) {
    ObjectNode body = MAPPER.createObjectNode().put("model", MODEL);
    body.putArray("messages")
        .add(
            MAPPER
                .createObjectNode()
                .put("role", "system")
                .put("content", "You are a terse assistant."))
        .add(MAPPER.createObjectNode().put("role", "user").put("content", userText));
    body.put("max_tokens", 64);
    if (stream) {
      body.put("stream", true); // and no stream_options: the gateway asks for usage and hides it
    }
    try {
      return MAPPER.writeValueAsBytes(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise a chat request", e);
    }
  }

  /** Plain English text of at least {@code tokens} prompt tokens as the gateway counts them. */
  static String promptOfTokens(int tokens) {
    StringBuilder text = new StringBuilder();
    int word = 0;
    while (true) {
      for (int i = 0; i < 50; i++) {
        text.append(WORDS[word++ % WORDS.length]).append(i % 12 == 11 ? ". " : " ");
      }
      if (promptTokens(chat(text.toString(), false)) >= tokens) {
        return text.toString().trim();
      }
    }
  }

  /** The prompt tokens the gateway reserves for a chat request body. */
  static int promptTokens(byte[] chatBody) {
    return Prompts.countTokens(
        TokenCounter.defaults(),
        MODEL,
        Operation.CHAT_COMPLETIONS,
        new String(chatBody, StandardCharsets.UTF_8));
  }

  /** A POST of {@code body} to {@code url}, charged to {@code consumer}; reusable. */
  static Request post(String url, byte[] body, String consumer) {
    return new Request.Builder()
        .url(url)
        .header(CONSUMER_HEADER, Objects.requireNonNull(consumer, "consumer"))
        .post(RequestBody.create(body, JSON))
        .build();
  }
}
