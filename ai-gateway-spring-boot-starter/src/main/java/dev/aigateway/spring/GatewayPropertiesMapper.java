package dev.aigateway.spring;

import dev.aigateway.api.Credentials;
import dev.aigateway.api.KeyResolver;
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.api.spi.CredentialProvider;
import dev.aigateway.api.spi.ResponseCacheStore;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.UnresolvedCallersException;
import dev.aigateway.core.access.AccessRule;
import dev.aigateway.core.aws.AwsCredentialsProvider;
import dev.aigateway.core.aws.AwsSigV4;
import dev.aigateway.core.cache.InMemoryResponseCacheStore;
import dev.aigateway.core.cache.ResponseCache;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.core.limit.UnusedLimitSettingException;
import dev.aigateway.core.routing.Backend;
import dev.aigateway.core.routing.BackendPool;
import dev.aigateway.core.routing.Failover;
import dev.aigateway.core.routing.LoadBalancing;
import dev.aigateway.core.telemetry.PromptLog;
import dev.aigateway.spring.AiGatewayProperties.BackendEntry;
import dev.aigateway.spring.AiGatewayProperties.Cache;
import dev.aigateway.spring.AiGatewayProperties.FailoverSettings;
import dev.aigateway.spring.AiGatewayProperties.Limit;
import dev.aigateway.spring.AiGatewayProperties.Pool;
import dev.aigateway.spring.AiGatewayProperties.PromptLogging;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.springframework.util.unit.DataSize;

/**
 * Turns {@link AiGatewayProperties} into the core's builders. Every value is checked here or by the
 * core builder it goes to; either way a bad value fails with an {@link
 * InvalidGatewayPropertyException} naming the property.
 */
final class GatewayPropertiesMapper {

  private static final String P = AiGatewayProperties.PREFIX;

  private GatewayPropertiesMapper() {}

  /**
   * A builder configured from {@code properties}: consumer key, limits, pool, cache (over {@code
   * cacheStore} when given), throw-on-rejection and output allowance. Listeners, stores and the
   * prompt log are the caller's to add.
   */
  static AiGateway.Builder builder(
      AiGatewayProperties properties, @Nullable ResponseCacheStore cacheStore) {
    return builder(properties, cacheStore, OptionalModules.NONE);
  }

  /**
   * As {@link #builder(AiGatewayProperties, ResponseCacheStore)}, with backend credentials (API
   * key, OAuth, Entra ID through {@code modules}), the access policy, the role header and the JWT
   * caller resolver (through {@code modules}).
   */
  static AiGateway.Builder builder(
      AiGatewayProperties properties,
      @Nullable ResponseCacheStore cacheStore,
      OptionalModules modules) {
    AiGateway.Builder builder = AiGateway.builder();
    KeyResolver consumer = consumerKey(properties.getConsumerKey());
    if (consumer != null) {
      builder.consumerKey(consumer);
    }
    Set<String> names = new HashSet<>();
    List<Limit> limits = properties.getLimits();
    for (int i = 0; i < limits.size(); i++) {
      String path = P + ".limits[" + i + "]";
      TokenLimit limit = tokenLimit(limits.get(i), path);
      if (!names.add(limit.name())) {
        throw new InvalidGatewayPropertyException(
            path + ".name",
            "another limit is already named '"
                + limit.name()
                + "'; give each limit of the same scope its own name",
            null);
      }
      builder.tokenLimit(limit);
    }
    Pool pool = properties.getPool();
    if (!pool.getBackends().isEmpty()) {
      builder.backendPool(pool(pool, modules));
    } else if (pool.getName() != null
        || pool.getSessionHeader() != null
        || pool.getLoadBalancing() != AiGatewayProperties.Balancing.ROUND_ROBIN
        || pool.getFailover().configured()) {
      throw new InvalidGatewayPropertyException(
          P + ".pool.backends", "a pool needs at least one backend", null);
    }
    Cache cache = properties.getCache();
    if (cache.isEnabled()) {
      builder.responseCache(cache(cache, cacheStore));
    } else if (!cache.enabledGiven() && cache.configured()) {
      throw offByDefault(P + ".cache", "the response cache");
    }
    PromptLogging log = properties.getPromptLog();
    if (!log.enabledGiven() && log.configured()) {
      throw offByDefault(P + ".prompt-log", "the prompt log");
    }
    SecurityMapper.apply(properties, modules, builder);
    builder.throwOnRejection(properties.isThrowOnRejection());
    Long allowance = properties.getDefaultOutputAllowance();
    if (allowance != null) {
      check(P + ".default-output-allowance", () -> builder.defaultOutputAllowance(allowance));
    }
    return builder;
  }

  /**
   * The gateway's refusal of a setting that names consumers or roles no call ever has, as the
   * failure of the property that configured it ({@code limits[].only-for}, {@code
   * access.rules[].consumer}, {@code access.rules[].role}, {@code prompt-log.consumers}; the prefix
   * for a setting a customizer made): the builder's message, and the properties that resolve
   * consumers or give roles.
   */
  static InvalidGatewayPropertyException unresolvedCallers(
      AiGatewayProperties properties, UnresolvedCallersException refused) {
    boolean roles = refused.subject() == AccessRule.Subject.ROLE;
    return new InvalidGatewayPropertyException(
        propertyOf(properties, refused),
        refused.getMessage()
            + (roles
                ? "; in properties, set "
                    + P
                    + ".access.role-header or "
                    + P
                    + ".jwt (its role-claims)"
                : "; in properties, set "
                    + P
                    + ".consumer-key.header (for example x-consumer-id), "
                    + P
                    + ".consumer-key.api-key or "
                    + P
                    + ".jwt"),
        refused);
  }

  /** The property that configured the refused setting, else the prefix. */
  private static String propertyOf(
      AiGatewayProperties properties, UnresolvedCallersException refused) {
    switch (refused.setting()) {
      case TOKEN_LIMIT -> {
        List<Limit> limits = properties.getLimits();
        for (int i = 0; i < limits.size(); i++) {
          String path = P + ".limits[" + i + "]";
          if (tokenLimit(limits.get(i), path).name().equals(refused.settingName())) {
            return path + ".only-for";
          }
        }
      }
      case ACCESS_RULE -> {
        List<SecurityProperties.Rule> rules = properties.getAccess().getRules();
        for (int i = 0; i < rules.size(); i++) {
          String path = P + ".access.rules[" + i + "]";
          AccessRule rule = SecurityMapper.rule(rules.get(i), path);
          if (rule.name().equals(refused.settingName())
              && rule.subject() == refused.subject()
              && refused.names().contains(rule.subjectId())) {
            return path + (rule.subject() == AccessRule.Subject.ROLE ? ".role" : ".consumer");
          }
        }
      }
      case PROMPT_LOG -> {
        PromptLogging log = properties.getPromptLog();
        if (log.isEnabled()
            && log.getConsumers().stream()
                .map(String::strip)
                .toList()
                .containsAll(refused.names())) {
          return P + ".prompt-log.consumers";
        }
      }
      default -> {}
    }
    return P;
  }

  /**
   * The failure for a group that is off unless enabled, given settings but not {@code enabled}: the
   * settings say the user wants it on, and ignoring them would leave it off without a word.
   */
  private static InvalidGatewayPropertyException offByDefault(String path, String what) {
    return new InvalidGatewayPropertyException(
        path + ".enabled",
        what
            + " has settings but is off unless enabled; set enabled: true, or enabled: false to"
            + " keep it off",
        null);
  }

  /**
   * Refuses prompt log settings the application's own {@link PromptLog} bean ({@code beanNames},
   * the names of its prompt log beans) would leave unused: that bean is the log the gateway writes
   * to, so filters such as {@code consumers} or {@code sample-rate} set beside it would be ignored
   * without a word (and every call logged where the settings say some). With {@code enabled: false}
   * the settings are kept unused, as for the cache.
   */
  static void checkOwnPromptLog(PromptLogging settings, String beanNames) {
    if (!settings.isEnabled() || !settings.configured()) {
      return;
    }
    String setting =
        !settings.getConsumers().isEmpty()
            ? "consumers"
            : !settings.getModels().isEmpty()
                ? "models"
                : settings.getSampleRate() != null ? "sample-rate" : "max-part-bytes";
    throw new InvalidGatewayPropertyException(
        P + ".prompt-log." + setting,
        "applies to the prompt log the starter builds only, but the application declares its own"
            + " PromptLog bean ("
            + beanNames
            + "), which the gateway writes to; configure that log instead, or remove the setting",
        null);
  }

  /** The prompt log {@code settings} describe (the caller checks that it is enabled). */
  static PromptLog promptLog(PromptLogging settings) {
    String path = P + ".prompt-log";
    PromptLog.Builder log = PromptLog.builder();
    check(path + ".consumers", () -> log.consumers(settings.getConsumers().toArray(String[]::new)));
    check(path + ".models", () -> log.models(settings.getModels().toArray(String[]::new)));
    Double rate = settings.getSampleRate();
    if (rate != null) {
      check(path + ".sample-rate", () -> log.sampleRate(rate));
    }
    DataSize maxPart = settings.getMaxPartBytes();
    if (maxPart != null) {
      int bytes = intBytes(path + ".max-part-bytes", maxPart);
      check(path + ".max-part-bytes", () -> log.maxPartBytes(bytes));
    }
    return log.build();
  }

  private static @Nullable KeyResolver consumerKey(AiGatewayProperties.ConsumerKey key) {
    String header = key.getHeader();
    if (header != null && key.isApiKey()) {
      throw new InvalidGatewayPropertyException(
          P + ".consumer-key",
          "set either header or api-key, not both (header was '" + header + "')",
          null);
    }
    if (key.isApiKey()) {
      return KeyResolvers.apiKey();
    }
    if (header == null) {
      return null;
    }
    return check(P + ".consumer-key.header", () -> KeyResolvers.header(header));
  }

  private static TokenLimit tokenLimit(Limit limit, String path) {
    TokenLimit.Builder builder =
        switch (limit.getScope()) {
          case CONSUMER -> TokenLimit.perConsumer();
          case MODEL -> TokenLimit.perModel();
          case GLOBAL -> TokenLimit.global();
        };
    String name = limit.getName();
    if (name != null) {
      check(path + ".name", () -> builder.name(name));
    }
    Long perMinute = limit.getTokensPerMinute();
    Long per = limit.getTokensPer();
    Duration period = limit.getPeriod();
    if (perMinute != null && per != null) {
      throw new InvalidGatewayPropertyException(
          path + ".tokens-per-minute",
          "set either tokens-per-minute or tokens-per with period, not both",
          null);
    }
    if (perMinute != null) {
      check(path + ".tokens-per-minute", () -> builder.tokensPerMinute(perMinute));
    }
    if (per != null || period != null) {
      if (per == null || period == null) {
        throw new InvalidGatewayPropertyException(
            path + (per == null ? ".tokens-per" : ".period"),
            "tokens-per and period go together; set both (for example tokens-per: 1000 and"
                + " period: 10s)",
            null);
      }
      atLeastASecond(path + ".period", period, "a token rate's period");
      check(path + ".tokens-per", () -> builder.tokensPer(per, period));
    }
    Long quota = limit.getQuota();
    if (quota != null || limit.getQuotaPeriod() != null) {
      if (quota == null || limit.getQuotaPeriod() == null) {
        throw new InvalidGatewayPropertyException(
            path + (quota == null ? ".quota" : ".quota-period"),
            "quota and quota-period go together; set both (for example quota: 1000000 and"
                + " quota-period: monthly)",
            null);
      }
      check(path + ".quota", () -> builder.quota(quota, limit.getQuotaPeriod()));
    }
    String zone = limit.getQuotaZone();
    if (zone != null) {
      ZoneId zoneId;
      try {
        zoneId = ZoneId.of(zone);
      } catch (DateTimeException e) {
        throw new InvalidGatewayPropertyException(
            path + ".quota-zone",
            "'" + zone + "' is not a zone id (for example UTC or Europe/Paris)",
            e);
      }
      builder.quotaZone(zoneId);
    }
    builder.estimatePromptTokens(limit.isEstimatePromptTokens());
    if (!limit.getOnlyFor().isEmpty()) {
      check(path + ".only-for", () -> builder.onlyFor(limit.getOnlyFor().toArray(String[]::new)));
    }
    String remaining = limit.getRemainingTokensHeader();
    if (remaining != null) {
      check(path + ".remaining-tokens-header", () -> builder.remainingTokensHeader(remaining));
    }
    String remainingQuota = limit.getRemainingQuotaHeader();
    if (remainingQuota != null) {
      check(path + ".remaining-quota-header", () -> builder.remainingQuotaHeader(remainingQuota));
    }
    String consumed = limit.getTokensConsumedHeader();
    if (consumed != null) {
      check(path + ".tokens-consumed-header", () -> builder.tokensConsumedHeader(consumed));
    }
    Long perSecondRequests = limit.getRequestsPerSecond();
    Long perMinuteRequests = limit.getRequestsPerMinute();
    if (perSecondRequests != null && perMinuteRequests != null) {
      throw new InvalidGatewayPropertyException(
          path + ".requests-per-second",
          "set either requests-per-second or requests-per-minute, not both (two windows are two"
              + " limits)",
          null);
    }
    if (perSecondRequests != null) {
      check(path + ".requests-per-second", () -> builder.requestsPerSecond(perSecondRequests));
    }
    if (perMinuteRequests != null) {
      check(path + ".requests-per-minute", () -> builder.requestsPerMinute(perMinuteRequests));
    }
    Long requestQuota = limit.getRequestQuota();
    if (requestQuota != null || limit.getRequestQuotaPeriod() != null) {
      if (requestQuota == null || limit.getRequestQuotaPeriod() == null) {
        throw new InvalidGatewayPropertyException(
            path + (requestQuota == null ? ".request-quota" : ".request-quota-period"),
            "request-quota and request-quota-period go together; set both (for example"
                + " request-quota: 10000 and request-quota-period: daily)",
            null);
      }
      check(
          path + ".request-quota",
          () -> builder.requestQuota(requestQuota, limit.getRequestQuotaPeriod()));
    }
    Integer maxInFlight = limit.getMaxInFlight();
    if (maxInFlight != null) {
      check(path + ".max-in-flight", () -> builder.maxInFlight(maxInFlight));
    }
    String remainingRequests = limit.getRemainingRequestsHeader();
    if (remainingRequests != null) {
      check(
          path + ".remaining-requests-header",
          () -> builder.remainingRequestsHeader(remainingRequests));
    }
    if (perMinute == null
        && per == null
        && quota == null
        && perSecondRequests == null
        && perMinuteRequests == null
        && requestQuota == null
        && maxInFlight == null) {
      throw new InvalidGatewayPropertyException(
          path,
          "a limit needs a token rate (tokens-per-minute, or tokens-per with period), a token"
              + " quota (quota with quota-period), a request rate (requests-per-second or"
              + " requests-per-minute), a request quota (request-quota with"
              + " request-quota-period), max-in-flight, or a mix of them",
          null);
    }
    return check(
        path,
        () -> {
          try {
            return builder.build();
          } catch (UnusedLimitSettingException unused) {
            throw unusedSetting(path, unused);
          }
        });
  }

  /**
   * The limit's refusal of a setting for a counter it does not have, as the failure of that
   * setting's property under {@code path}, naming the properties that give the counter.
   */
  private static InvalidGatewayPropertyException unusedSetting(
      String path, UnusedLimitSettingException unused) {
    String property =
        switch (unused.setting()) {
          case QUOTA_ZONE -> "quota-zone";
          case REMAINING_TOKENS_HEADER -> "remaining-tokens-header";
          case REMAINING_QUOTA_HEADER -> "remaining-quota-header";
          case REMAINING_REQUESTS_HEADER -> "remaining-requests-header";
          case TOKENS_CONSUMED_HEADER -> "tokens-consumed-header";
        };
    String counterProperties =
        switch (unused.setting()) {
          case QUOTA_ZONE -> "quota or request-quota";
          case REMAINING_TOKENS_HEADER -> "tokens-per-minute, or tokens-per with period";
          case REMAINING_QUOTA_HEADER -> "quota with quota-period";
          case REMAINING_REQUESTS_HEADER -> "requests-per-second or requests-per-minute";
          case TOKENS_CONSUMED_HEADER -> "tokens-per-minute, tokens-per with period, or quota";
        };
    return new InvalidGatewayPropertyException(
        path + "." + property,
        "applies to "
            + unused.setting().counter()
            + " ("
            + counterProperties
            + "), which this limit does not have, so it would never be used; add the counter or"
            + " remove the setting",
        unused);
  }

  private static BackendPool pool(Pool pool, OptionalModules modules) {
    String path = P + ".pool";
    BackendPool.Builder builder = BackendPool.builder();
    String name = pool.getName();
    if (name != null) {
      check(path + ".name", () -> builder.name(name));
    }
    List<BackendEntry> backends = pool.getBackends();
    for (int i = 0; i < backends.size(); i++) {
      String at = path + ".backends[" + i + "]";
      if (backends.get(i).getWeight() != null
          && pool.getLoadBalancing() != AiGatewayProperties.Balancing.WEIGHTED) {
        // Only weighted balancing reads a weight: any other would share the calls as if unset.
        throw new InvalidGatewayPropertyException(
            at + ".weight",
            "only weighted balancing reads a backend's weight, but the pool balances "
                + name(pool.getLoadBalancing())
                + "; set "
                + path
                + ".load-balancing: weighted, or remove the weight",
            null);
      }
      capacity(backends.get(i), at, path, pool.getLoadBalancing());
      Backend backend = backend(backends.get(i), at, modules);
      check(at + ".id", () -> builder.backend(backend));
    }
    LoadBalancing balancing =
        switch (pool.getLoadBalancing()) {
          case ROUND_ROBIN -> LoadBalancing.roundRobin();
          case WEIGHTED -> LoadBalancing.weighted();
          case LEAST_BUSY -> LoadBalancing.leastBusy();
          case LATENCY_AWARE -> LoadBalancing.latencyAware();
          case CAPACITY_AWARE -> LoadBalancing.capacityAware();
        };
    String session = pool.getSessionHeader();
    if (session != null) {
      KeyResolver sessionKey = check(path + ".session-header", () -> KeyResolvers.header(session));
      balancing = LoadBalancing.sessionSticky(sessionKey, balancing);
    }
    builder.loadBalancing(balancing);
    builder.failover(failover(pool.getFailover(), path + ".failover"));
    return check(path, builder::build);
  }

  private static Backend backend(BackendEntry entry, String path, OptionalModules modules) {
    String id = entry.getId();
    if (id == null || id.isBlank()) {
      throw new InvalidGatewayPropertyException(
          path + ".id", "every backend needs an id, unique within the pool", null);
    }
    String url = entry.getUrl();
    if (url == null || url.isBlank()) {
      throw new InvalidGatewayPropertyException(
          path + ".url",
          "backend '" + id + "' needs a url, for example https://api.openai.com",
          null);
    }
    AiGatewayProperties.Flavor flavor = entry.getFlavor();
    String apiVersion = entry.getApiVersion();
    if (apiVersion != null && !TAKES_API_VERSION.contains(flavor)) {
      throw new InvalidGatewayPropertyException(
          path + ".api-version",
          "only an azure, azure-ai-inference or anthropic backend takes an api-version; backend '"
              + id
              + "' is "
              + name(flavor),
          null);
    }
    if (entry.getRegion() != null && flavor != AiGatewayProperties.Flavor.BEDROCK) {
      throw new InvalidGatewayPropertyException(
          path + ".region",
          "only a bedrock backend takes a region; backend '" + id + "' is " + name(flavor),
          null);
    }
    Backend.Builder builder =
        check(
            TAKES_API_VERSION.contains(flavor) ? path + ".api-version" : path + ".url",
            () ->
                switch (flavor) {
                  case OPENAI -> Backend.openAi(id, url);
                  case OPENAI_COMPATIBLE -> Backend.openAiCompatible(id, url);
                  case AZURE -> Backend.azureOpenAi(id, url, apiVersion);
                  case AZURE_V1 -> Backend.azureOpenAiV1(id, url);
                  case AZURE_AI_INFERENCE -> Backend.azureAiInference(id, url, apiVersion);
                  case ANTHROPIC ->
                      apiVersion == null
                          ? Backend.anthropic(id, url)
                          : Backend.anthropic(id, url, apiVersion);
                  case GEMINI -> Backend.gemini(id, url);
                  case BEDROCK -> Backend.bedrock(id, url);
                });
    if (flavor == AiGatewayProperties.Flavor.BEDROCK) {
      bedrockSigner(entry, id, path, builder, modules);
    }
    for (Map.Entry<String, String> model : entry.getModels().entrySet()) {
      check(
          path + ".models[" + model.getKey() + "]",
          () -> builder.model(model.getKey(), model.getValue()));
    }
    String key = entry.getApiKey();
    boolean oauth = entry.getOauth().configured();
    boolean entraId = entry.getEntraId().isEnabled();
    if ((key != null ? 1 : 0) + (oauth ? 1 : 0) + (entraId ? 1 : 0) > 1) {
      throw new InvalidGatewayPropertyException(
          path + (oauth ? ".oauth" : ".entra-id"),
          "backend '" + id + "' has more than one credential; set one of api-key, oauth, entra-id",
          null);
    }
    if (!entraId && entry.getEntraId().configured()) {
      throw new InvalidGatewayPropertyException(
          path + ".entra-id.enabled",
          "backend '"
              + id
              + "' has entra-id settings but they are off; set enabled: true, or remove them",
          null);
    }
    if (oauth) {
      builder.credential(SecurityMapper.oauth(entry.getOauth(), path + ".oauth"));
    }
    if (entraId) {
      OptionalModules.EntraIdSupport entra = modules.entraId();
      if (entra == null) {
        throw new InvalidGatewayPropertyException(
            path + ".entra-id",
            "Entra ID credentials need dev.aigateway:ai-gateway-azure-identity on the class path;"
                + " add it as a dependency",
            null);
      }
      builder.credential(entra.credential(entry.getEntraId(), path + ".entra-id"));
    }
    if (key != null) {
      if (key.isBlank()) {
        // The value is never printed: it is a secret (or an unresolved placeholder's result).
        throw new InvalidGatewayPropertyException(
            path + ".api-key",
            "backend '" + id + "' has a blank api-key; set one or remove it",
            null);
      }
      int bad = dev.aigateway.core.wire.HeaderValues.notAllowedAt(key);
      if (bad >= 0) {
        // Sent in a header on every call, which would each fail: refused now, the key not shown.
        char c = key.charAt(bad);
        throw new InvalidGatewayPropertyException(
            path + ".api-key",
            "backend '"
                + id
                + "' has an api-key holding "
                + (c == '\n' || c == '\r'
                    ? "a line break (a key read from a file or a variable often ends in one)"
                    : "a character a header value cannot hold")
                + " at index "
                + bad
                + "; remove it",
            null);
      }
      builder.credential(credential(entry.getFlavor(), key));
    }
    Integer priority = entry.getPriority();
    if (priority != null) {
      check(path + ".priority", () -> builder.priority(priority));
    }
    Integer weight = entry.getWeight();
    if (weight != null) {
      check(path + ".weight", () -> builder.weight(weight));
    }
    Integer maxInFlight = entry.getMaxInFlight();
    if (maxInFlight != null) {
      check(path + ".max-in-flight", () -> builder.maxInFlight(maxInFlight));
    }
    if (entry.getTokensPerMinute() != 0) {
      check(path + ".tokens-per-minute", () -> builder.capacity(entry.getTokensPerMinute(), 0));
    }
    return builder.build();
  }

  /**
   * Refuses a backend's capacity settings that would do nothing: {@code requests-per-minute} always
   * (no balancing reads a backend's request rate and nothing counts requests per backend), and
   * {@code tokens-per-minute} outside capacity-aware balancing, the only one that reads it. Either,
   * meant as a cap, would let every call through without a word.
   */
  private static void capacity(
      BackendEntry entry, String at, String poolPath, AiGatewayProperties.Balancing balancing) {
    String instead =
        "to cap this backend's calls at once, set "
            + at
            + ".max-in-flight; to limit a rate, add an ai-gateway.limits entry (scope: model or"
            + " global)";
    if (entry.requestsPerMinuteGiven() != null) {
      throw new InvalidGatewayPropertyException(
          at + ".requests-per-minute",
          "is not read: no balancing weighs a backend's requests per minute and the gateway counts"
              + " no requests per backend, so it would limit nothing; remove it ("
              + instead
              + " with requests-per-minute)",
          null);
    }
    if (entry.getTokensPerMinute() > 0
        && balancing != AiGatewayProperties.Balancing.CAPACITY_AWARE) {
      throw new InvalidGatewayPropertyException(
          at + ".tokens-per-minute",
          "is the backend's known capacity, read by capacity-aware balancing only (it is not a"
              + " limit: the gateway counts no tokens per backend), but the pool balances "
              + name(balancing)
              + "; set "
              + poolPath
              + ".load-balancing: capacity-aware, or remove it ("
              + instead
              + " with tokens-per-minute)",
          null);
    }
  }

  private static CredentialProvider credential(AiGatewayProperties.Flavor flavor, String key) {
    return switch (flavor) {
      case OPENAI, OPENAI_COMPATIBLE -> Credentials.bearerToken(key);
      case AZURE, AZURE_V1, AZURE_AI_INFERENCE, ANTHROPIC, GEMINI -> Credentials.apiKey(key);
      case BEDROCK -> throw new IllegalStateException("a bedrock backend takes no api-key");
    };
  }

  /** The flavours whose backends take an api-version (required or, for anthropic, optional). */
  private static final Set<AiGatewayProperties.Flavor> TAKES_API_VERSION =
      Set.of(
          AiGatewayProperties.Flavor.AZURE,
          AiGatewayProperties.Flavor.AZURE_AI_INFERENCE,
          AiGatewayProperties.Flavor.ANTHROPIC);

  /** A flavour or a balancing as it is written in properties: {@code azure-ai-inference}. */
  private static String name(Enum<?> flavor) {
    return flavor.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }

  /**
   * Gives a bedrock backend its SigV4 signer: the region from its properties, the credentials of
   * the AWS SDK's default chain when {@code ai-gateway-aws} is present, else the environment's.
   */
  private static void bedrockSigner(
      BackendEntry entry,
      String id,
      String path,
      Backend.Builder builder,
      OptionalModules modules) {
    String region = entry.getRegion();
    if (region == null || region.isBlank()) {
      throw new InvalidGatewayPropertyException(
          path + ".region",
          "bedrock backend '"
              + id
              + "' needs the AWS region it signs its requests for, for example us-east-1",
          null);
    }
    String other =
        entry.getApiKey() != null
            ? ".api-key"
            : entry.getOauth().configured()
                ? ".oauth"
                : entry.getEntraId().isEnabled() || entry.getEntraId().configured()
                    ? ".entra-id"
                    : null;
    if (other != null) {
      throw new InvalidGatewayPropertyException(
          path + other,
          "bedrock backend '"
              + id
              + "' signs every request with AWS credentials (the AWS SDK's default chain with"
              + " ai-gateway-aws, else the AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY"
              + " environment); it takes no api-key, oauth or entra-id",
          null);
    }
    AwsCredentialsProvider credentials =
        modules.aws() != null ? modules.aws().defaultChain() : AwsCredentialsProvider.environment();
    check(
        path + ".region",
        () -> builder.signer(AwsSigV4.signer(region.strip(), "bedrock", credentials)));
  }

  private static Failover failover(FailoverSettings settings, String path) {
    if (!settings.isEnabled()) {
      return Failover.disabled();
    }
    Failover.Builder builder = Failover.builder();
    Integer attempts = settings.getMaxAttempts();
    if (attempts != null) {
      check(path + ".max-attempts", () -> builder.maxAttempts(attempts));
    }
    Duration deadline = settings.getDeadline();
    if (deadline != null) {
      atLeastASecond(path + ".deadline", deadline, "the time all attempts of a call may take");
      check(path + ".deadline", () -> builder.deadline(deadline));
    }
    Duration backoff = settings.getBackoff();
    Duration maxBackoff = settings.getMaxBackoff();
    if (backoff != null || maxBackoff != null) {
      Duration first = backoff != null ? backoff : Failover.DEFAULT_BACKOFF;
      Duration max = maxBackoff != null ? maxBackoff : Failover.DEFAULT_MAX_BACKOFF;
      check(
          path + (backoff != null ? ".backoff" : ".max-backoff"),
          () -> builder.backoff(first, max));
    }
    Duration firstEvent = settings.getFirstEventTimeout();
    if (firstEvent != null) {
      check(path + ".first-event-timeout", () -> builder.firstEventTimeout(firstEvent));
    }
    return check(path, builder::build);
  }

  private static ResponseCache cache(Cache cache, @Nullable ResponseCacheStore store) {
    String path = P + ".cache";
    ResponseCache.Builder builder = ResponseCache.builder();
    if (store != null) {
      if (cache.getTtl() != null || cache.getMaximumBytes() != null) {
        throw new InvalidGatewayPropertyException(
            path + (cache.getTtl() != null ? ".ttl" : ".maximum-bytes"),
            "applies to the in-memory store only, but the application declares its own"
                + " ResponseCacheStore bean ("
                + store.getClass().getName()
                + "); configure that store instead",
            null);
      }
      builder.store(store);
    } else {
      InMemoryResponseCacheStore.Builder memory = InMemoryResponseCacheStore.builder();
      Duration ttl = cache.getTtl();
      if (ttl != null) {
        atLeastASecond(path + ".ttl", ttl, "a cached answer's time to live");
        check(path + ".ttl", () -> memory.timeToLive(ttl));
      }
      DataSize bytes = cache.getMaximumBytes();
      if (bytes != null) {
        check(path + ".maximum-bytes", () -> memory.maximumBytes(bytes.toBytes()));
      }
      builder.store(memory.build());
    }
    String vary = cache.getVaryByHeader();
    if (vary != null) {
      KeyResolver varyBy = check(path + ".vary-by-header", () -> KeyResolvers.header(vary));
      builder.varyBy(varyBy);
    }
    builder.chargeHits(cache.isChargeHits());
    DataSize entrySize = cache.getMaximumEntryBytes();
    if (entrySize != null) {
      int entryBytes = intBytes(path + ".maximum-entry-bytes", entrySize);
      check(path + ".maximum-entry-bytes", () -> builder.maximumEntryBytes(entryBytes));
    }
    return check(path, builder::build);
  }

  /**
   * Refuses a positive duration under one second where the setting's unit is seconds or longer: a
   * bare number is milliseconds to Spring Boot's binder ({@code period: 60} is 60 ms), so such a
   * value is a unit left out, which would silently make the setting a thousand times too small.
   */
  static void atLeastASecond(String property, Duration value, String what) {
    if (!value.isNegative() && !value.isZero() && value.compareTo(Duration.ofSeconds(1)) < 0) {
      long millis = value.toMillis();
      throw new InvalidGatewayPropertyException(
          property,
          "is "
              + (millis > 0 ? millis + " ms" : value.toString())
              + ", under the 1s "
              + what
              + " needs at least; a bare number is milliseconds, so write the unit (for example"
              + " "
              + Math.max(1, millis)
              + "s or 1m)",
          null);
    }
  }

  /**
   * {@code size} in bytes, for a setting the core holds as an {@code int}: a size of 2 GiB or more
   * fails naming {@code property} rather than wrap around to a negative or small number. A negative
   * size is passed on for the core builder to refuse.
   */
  static int intBytes(String property, DataSize size) {
    long bytes = size.toBytes();
    if (bytes > Integer.MAX_VALUE) {
      throw new InvalidGatewayPropertyException(
          property,
          "is "
              + bytes
              + " bytes, over the largest size it takes (2147483647 bytes, just under 2GB)",
          null);
    }
    return (int) Math.max(bytes, Integer.MIN_VALUE);
  }

  /**
   * Runs a core builder step, naming {@code property} in any failure it reports; a failure the step
   * already names a property in passes as it is.
   */
  static <T> T check(String property, java.util.function.Supplier<T> step) {
    try {
      return step.get();
    } catch (InvalidGatewayPropertyException named) {
      throw named;
    } catch (IllegalArgumentException | IllegalStateException | NullPointerException e) {
      throw new InvalidGatewayPropertyException(property, String.valueOf(e.getMessage()), e);
    }
  }
}
