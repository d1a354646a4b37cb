package dev.aigateway.spring;

import dev.aigateway.api.CallerResolver;
import dev.aigateway.jwt.JwtCallerResolver;
import java.net.URI;
import java.time.Duration;

/**
 * The JWT caller resolver from properties, over {@code ai-gateway-jwt}. Loaded only when that
 * module is on the class path.
 */
final class JwtCallerResolverFactory implements OptionalModules.JwtSupport {

  @Override
  public CallerResolver callerResolver(SecurityProperties.Jwt settings, String path) {
    URI jwksUrl = settings.getJwksUrl();
    if (jwksUrl == null) {
      throw new InvalidGatewayPropertyException(
          path + ".jwks-url",
          "the JWT resolver needs the issuer's key set, for example"
              + " https://login.example.com/.well-known/jwks.json",
          null);
    }
    JwtCallerResolver.Builder builder =
        GatewayPropertiesMapper.check(path + ".jwks-url", () -> JwtCallerResolver.builder(jwksUrl));
    String issuer = settings.getIssuer();
    if (issuer == null) {
      throw new InvalidGatewayPropertyException(
          path + ".issuer", "set the issuer (iss) every token must name", null);
    }
    GatewayPropertiesMapper.check(path + ".issuer", () -> builder.issuer(issuer));
    if (settings.getAudiences().isEmpty()) {
      throw new InvalidGatewayPropertyException(
          path + ".audiences", "set at least one audience (aud) a token may name", null);
    }
    for (String audience : settings.getAudiences()) {
      GatewayPropertiesMapper.check(path + ".audiences", () -> builder.audience(audience));
    }
    if (!settings.getConsumerClaims().isEmpty()) {
      GatewayPropertiesMapper.check(
          path + ".consumer-claims",
          () -> builder.consumerClaims(settings.getConsumerClaims().toArray(String[]::new)));
    }
    if (!settings.getRoleClaims().isEmpty()) {
      GatewayPropertiesMapper.check(
          path + ".role-claims",
          () -> builder.roleClaims(settings.getRoleClaims().toArray(String[]::new)));
    }
    if (!settings.getAlgorithms().isEmpty()) {
      GatewayPropertiesMapper.check(
          path + ".algorithms",
          () -> builder.algorithms(settings.getAlgorithms().toArray(String[]::new)));
    }
    String header = settings.getHeader();
    if (header != null) {
      GatewayPropertiesMapper.check(path + ".header", () -> builder.header(header));
    }
    Boolean required = settings.getRequired();
    if (required != null) {
      builder.required(required);
    }
    Boolean strip = settings.getStripToken();
    if (strip != null) {
      builder.stripToken(strip);
    }
    Duration skew = settings.getClockSkew();
    if (skew != null) {
      GatewayPropertiesMapper.atLeastASecond(
          path + ".clock-skew", skew, "a skew on exp and nbf (whole seconds)");
      GatewayPropertiesMapper.check(path + ".clock-skew", () -> builder.clockSkew(skew));
    }
    Duration ttl = settings.getJwksCacheTtl();
    if (ttl != null) {
      GatewayPropertiesMapper.atLeastASecond(path + ".jwks-cache-ttl", ttl, "a key set's cache");
      GatewayPropertiesMapper.check(path + ".jwks-cache-ttl", () -> builder.jwksCacheTtl(ttl));
    }
    Duration refetch = settings.getJwksRefetchInterval();
    if (refetch != null) {
      GatewayPropertiesMapper.atLeastASecond(
          path + ".jwks-refetch-interval", refetch, "the least time between key set fetches");
      GatewayPropertiesMapper.check(
          path + ".jwks-refetch-interval", () -> builder.jwksRefetchInterval(refetch));
    }
    Boolean plainHttp = settings.getAllowPlainHttpKeySet();
    if (plainHttp != null) {
      builder.allowPlainHttpKeySet(plainHttp);
    }
    Duration tolerance = settings.getJwksOutageTolerance();
    if (tolerance != null) {
      GatewayPropertiesMapper.atLeastASecond(
          path + ".jwks-outage-tolerance", tolerance, "how long known keys outlast an outage");
      GatewayPropertiesMapper.check(
          path + ".jwks-outage-tolerance", () -> builder.jwksOutageTolerance(tolerance));
    }
    Duration timeout = settings.getJwksTimeout();
    if (timeout != null) {
      GatewayPropertiesMapper.check(path + ".jwks-timeout", () -> builder.jwksTimeout(timeout));
    }
    if (jwksUrl.getScheme().equalsIgnoreCase("http") && !Boolean.TRUE.equals(plainHttp)) {
      // build() refuses it unless the host is a loopback one: name the property that decides
      return GatewayPropertiesMapper.check(path + ".jwks-url", builder::build);
    }
    return GatewayPropertiesMapper.check(path, builder::build);
  }
}
