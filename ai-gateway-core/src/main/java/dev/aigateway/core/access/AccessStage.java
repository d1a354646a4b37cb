package dev.aigateway.core.access;

import dev.aigateway.api.AccessCheck;
import dev.aigateway.api.AccessInfo;
import dev.aigateway.api.Caller;
import dev.aigateway.api.CallerResolver;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.core.pipeline.Admission;
import dev.aigateway.core.pipeline.CallLog;
import dev.aigateway.core.pipeline.CallStage;
import dev.aigateway.core.pipeline.Exchange;
import dev.aigateway.core.pipeline.Rejection;
import dev.aigateway.core.pipeline.Rejections;
import dev.aigateway.core.routing.BackendPool;
import dev.aigateway.core.wire.WireRequest;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;

/**
 * The access stage: establishes the caller (its roles, and a consumer id a credential proves) and
 * checks the call against the {@link AccessPolicy} before any other stage but telemetry and the
 * allowance check sees it, so a denied call reserves, looks up and sends nothing. A refused
 * credential is answered 401 {@code invalid_token}; a call no rule allows 403 {@code
 * access_denied}, naming the rule and the check. An allowed call's routing is restricted to its
 * rule's backends.
 */
public final class AccessStage implements CallStage {

  // Logged under the call's name, where an application configures the gateway's call logging.
  private static final Logger log = CallLog.logger();

  private static final AccessInfo ALLOWED_BY_DEFAULT =
      new AccessInfo(AccessInfo.Decision.ALLOWED, AccessInfo.DEFAULT_RULE, null);

  private final Exchange exchange;
  private final @Nullable CallerResolver callers;
  private final CompiledRule @Nullable [] rules;
  private final boolean allowByDefault;
  private AccessInfo info = AccessInfo.NONE;

  private AccessStage(
      Exchange exchange,
      @Nullable CallerResolver callers,
      CompiledRule @Nullable [] rules,
      boolean allowByDefault) {
    this.exchange = exchange;
    this.callers = callers;
    this.rules = rules;
    this.allowByDefault = allowByDefault;
  }

  /**
   * The stage for a gateway's access policy and caller resolver, or null when it has neither. The
   * policy's rules are compiled against the pool here, so a rule naming a backend the pool does not
   * have fails the gateway's build.
   *
   * @param policy the access rules, or null to only resolve callers (and refuse bad credentials)
   * @param callers establishes each call's caller, or null when calls have no roles
   * @param pool the gateway's backend pool, or null
   * @throws IllegalArgumentException when a rule names backends the pool does not have, or the
   *     gateway has no pool
   */
  public static CallStage.@Nullable Factory of(
      @Nullable AccessPolicy policy, @Nullable CallerResolver callers, @Nullable BackendPool pool) {
    if (policy == null && callers == null) {
      return null;
    }
    CompiledRule[] rules =
        policy == null
            ? null
            : policy.rules().stream()
                .map(rule -> new CompiledRule(rule, pool))
                .toArray(CompiledRule[]::new);
    boolean allowByDefault = policy == null || policy.allowsByDefault();
    return exchange -> new AccessStage(exchange, callers, rules, allowByDefault);
  }

  @Override
  public @Nullable Admission admit() {
    Caller caller = Caller.UNKNOWN;
    if (callers != null) {
      caller = resolveCaller(callers);
    }
    if (caller.isRefused()) {
      info = new AccessInfo(AccessInfo.Decision.INVALID_CREDENTIAL, null, null);
      return reject(Rejections.invalidToken(exchange.request().format(), caller.refusal()));
    }
    if (caller.consumer() != null) {
      exchange.consumer(caller.consumer());
    }
    if (rules == null) {
      return null; // callers resolved, no rules to check
    }
    return check(caller.roles());
  }

  private Caller resolveCaller(CallerResolver resolver) {
    try {
      Caller caller = resolver.resolve(exchange.request());
      return caller == null ? Caller.UNKNOWN : caller;
    } catch (RuntimeException e) {
      // The exception's message may quote the credential: only its type is logged.
      log.warn(
          "ai-gateway: caller resolver {} failed on call {} ({}); the call is refused",
          resolver,
          exchange.callId(),
          e.getClass().getName());
      return Caller.refused("the caller's credential or roles could not be checked");
    }
  }

  private @Nullable Admission check(Set<String> roles) {
    WireRequest request = exchange.request();
    String consumer = exchange.consumer();
    long allowance = request.maxOutputTokensField() != null ? exchange.outputAllowance() : -1;
    CompiledRule closest = null;
    AccessCheck closestCheck = null;
    for (CompiledRule rule : rules) {
      if (!rule.appliesTo(consumer, roles)) {
        continue;
      }
      AccessCheck failed = rule.check(request, allowance);
      if (failed == null) {
        if (rule.backendFilter != null) {
          exchange.allowedBackends(rule.backendFilter);
        }
        info = rule.allowed;
        return null;
      }
      if (closestCheck == null || failed.ordinal() > closestCheck.ordinal()) {
        closest = rule;
        closestCheck = failed;
      }
    }
    if (closest == null) {
      if (allowByDefault) {
        info = ALLOWED_BY_DEFAULT;
        return null;
      }
      info =
          new AccessInfo(AccessInfo.Decision.DENIED, AccessInfo.DEFAULT_RULE, AccessCheck.NO_RULE);
      return reject(
          Rejections.accessDenied(
              request.format(),
              consumer,
              AccessInfo.DEFAULT_RULE,
              AccessCheck.NO_RULE,
              "no access rule applies, and the policy denies by default"));
    }
    info = new AccessInfo(AccessInfo.Decision.DENIED, closest.rule.name(), closestCheck);
    return reject(
        Rejections.accessDenied(
            request.format(),
            consumer,
            closest.rule.name(),
            closestCheck,
            closest.explain(closestCheck, request, allowance)));
  }

  private Admission reject(Rejection rejection) {
    return exchange.rejected(rejection);
  }

  @Override
  public void describe(GatewayEvent.Builder event) {
    event.access(info);
  }
}
