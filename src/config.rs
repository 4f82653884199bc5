//! Configuration: environment variables (and `.env`), typed once at start-up.
//!
//! Every invalid value is reported as one line naming the variable; `main` exits with code 2.

use std::net::IpAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use api::background::{self, JobSettings};
use api::settings::{HashCost, SameSite, Secret};
use ipnet::IpNet;
use jobs::QueueConfig;
use jobs::queue::Defaults;
use store::SqliteSynchronous;

pub use api::mail::{SmtpSecurity, SmtpSettings as SmtpConfig};

#[derive(Debug, Clone)]
pub struct Config {
    pub host: IpAddr,
    pub port: u16,
    pub data_dir: PathBuf,
    /// Where DejaVuSans.ttf and DejaVuSans-Bold.ttf are (invoice PDFs).
    pub pdf_font_dir: PathBuf,
    pub database_url: String,
    pub database_pool_size: u32,
    pub database_acquire_timeout: Duration,
    pub sqlite_synchronous: SqliteSynchronous,
    pub sqlite_busy_timeout: Duration,
    pub redis_url: Option<String>,
    pub redis_key_prefix: String,
    pub jwt_secret: Option<Secret>,
    pub cookie_secret: Option<Secret>,
    pub smtp: Option<SmtpConfig>,
    pub email_from: String,
    pub frontend_url: String,
    pub allowed_origins: Vec<String>,
    pub production: bool,
    pub app_env: String,
    pub metrics_token: Option<Secret>,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub single_device_sessions: bool,
    pub cookie_same_site: SameSite,
    pub trusted_proxies: Vec<IpNet>,
    pub shop_timezone: String,
    pub body_limit: usize,
    pub import_max_bytes: usize,
    pub request_timeout: Duration,
    pub shutdown_timeout: Duration,
    pub lockout_duration: Duration,
    pub auth_rate_limit: u64,
    pub auth_rate_window: Duration,
    pub reset_rate_limit: u64,
    pub reset_rate_window: Duration,
    pub log_json: bool,
    pub jobs: JobSettings,
    /// argon2id cost; not an environment variable (tests lower it).
    pub hash_cost: HashCost,
}

/// A configuration error: one line, naming the variable.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

fn invalid(var: &str, value: &str, expected: &str) -> ConfigError {
    ConfigError(format!("invalid {var}={value:?}: expected {expected}"))
}

/// Reads variables through `lookup`, so tests can pass a map instead of the process environment.
struct Env<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

impl Env<'_> {
    fn get(&self, var: &str) -> Option<String> {
        (self.lookup)(var)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    fn string(&self, var: &str, default: &str) -> String {
        self.get(var).unwrap_or_else(|| default.to_owned())
    }

    fn parse<T: FromStr>(&self, var: &str, default: T, expected: &str) -> Result<T, ConfigError> {
        match self.get(var) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| invalid(var, &v, expected)),
        }
    }

    fn bool(&self, var: &str, default: bool) -> Result<bool, ConfigError> {
        match self.get(var).map(|v| v.to_ascii_lowercase()) {
            None => Ok(default),
            Some(v) if ["true", "1", "yes", "on"].contains(&v.as_str()) => Ok(true),
            Some(v) if ["false", "0", "no", "off"].contains(&v.as_str()) => Ok(false),
            Some(v) => Err(invalid(var, &v, "true or false")),
        }
    }

    fn duration(&self, var: &str, default: Duration) -> Result<Duration, ConfigError> {
        match self.get(var) {
            None => Ok(default),
            Some(v) => parse_duration(&v)
                .filter(|d| !d.is_zero())
                .ok_or_else(|| invalid(var, &v, "a duration such as 30s, 15m, 12h, 7d or 500ms")),
        }
    }

    fn bytes(&self, var: &str, default: usize) -> Result<usize, ConfigError> {
        match self.get(var) {
            None => Ok(default),
            Some(v) => parse_bytes(&v)
                .filter(|b| *b > 0)
                .ok_or_else(|| invalid(var, &v, "a size such as 1048576, 512KiB or 10MiB")),
        }
    }
}

/// `30s`, `15m`, `12h`, `7d`, `500ms`, or a bare number of seconds.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    if !number.is_finite() || number < 0.0 {
        return None;
    }
    let seconds = match unit.trim() {
        "" | "s" => number,
        "ms" => number / 1000.0,
        "m" | "min" => number * 60.0,
        "h" => number * 3600.0,
        "d" => number * 86_400.0,
        _ => return None,
    };
    Duration::try_from_secs_f64(seconds).ok()
}

fn parse_bytes(text: &str) -> Option<usize> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: usize = number.parse().ok()?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" | "kib" | "k" => 1024,
        "mb" | "mib" | "m" => 1024 * 1024,
        "gb" | "gib" | "g" => 1024 * 1024 * 1024,
        _ => return None,
    };
    number.checked_mul(factor)
}

fn database_url_is_valid(url: &str) -> bool {
    sqlx::any::install_default_drivers();
    (url.starts_with("sqlite:")
        || url.starts_with("postgres://")
        || url.starts_with("postgresql://"))
        && sqlx::any::AnyConnectOptions::from_str(url).is_ok()
}

impl Config {
    /// Reads the process environment (after loading `.env`, if present).
    pub fn from_env() -> Result<Config, ConfigError> {
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => return Err(ConfigError(format!("invalid .env file: {e}"))),
        }
        Config::from_lookup(&|var| std::env::var(var).ok())
    }

    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let env = Env { lookup };
        let app_env = env.string("APP_ENV", "development").to_ascii_lowercase();
        if !["development", "production", "test"].contains(&app_env.as_str()) {
            return Err(invalid(
                "APP_ENV",
                &app_env,
                "development, production or test",
            ));
        }
        let production = app_env == "production";
        let port: u16 = env.parse("PORT", 5000, "a port number 1-65535")?;
        if port == 0 && env.get("PORT").is_some() {
            return Err(invalid("PORT", "0", "a port number 1-65535"));
        }
        let data_dir = PathBuf::from(env.string("DATA_DIR", "./data"));
        let pdf_font_dir =
            PathBuf::from(env.string("PDF_FONT_DIR", "/usr/share/fonts/truetype/dejavu"));
        let database_url = env.get("DATABASE_URL").unwrap_or_else(|| {
            format!("sqlite://{}?mode=rwc", data_dir.join("bizzai.db").display())
        });
        if !database_url_is_valid(&database_url) {
            return Err(ConfigError(format!(
                "invalid DATABASE_URL: expected sqlite://path/to/file.db or postgres://user@host/db, got {:?}",
                redact_url(&database_url)
            )));
        }
        let redis_url = match env.get("REDIS_URL") {
            Some(url) => Some(url),
            None => env.get("REDIS_HOST").map(|host| {
                let port = env.string("REDIS_PORT", "6379");
                match env.get("REDIS_PASSWORD") {
                    Some(pw) => format!("redis://:{pw}@{host}:{port}"),
                    None => format!("redis://{host}:{port}"),
                }
            }),
        };
        if let Some(url) = &redis_url
            && redis_url_invalid(url)
        {
            return Err(ConfigError(format!(
                "invalid REDIS_URL: expected redis://host:port, got {:?}",
                redact_url(url)
            )));
        }
        let jwt_secret = secret(&env, "JWT_SECRET", production)?;
        let cookie_secret = secret(&env, "COOKIE_SECRET", production)?;
        let same_site = match env
            .string("COOKIE_SAME_SITE", "lax")
            .to_ascii_lowercase()
            .as_str()
        {
            "lax" => SameSite::Lax,
            "strict" => SameSite::Strict,
            "none" => SameSite::None,
            other => return Err(invalid("COOKIE_SAME_SITE", other, "lax, strict or none")),
        };
        let trusted_proxies = match env.get("TRUSTED_PROXIES") {
            None => Vec::new(),
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    s.parse::<IpNet>()
                        .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                        .map_err(|_| {
                            invalid(
                                "TRUSTED_PROXIES",
                                s,
                                "comma-separated IP addresses or CIDR ranges",
                            )
                        })
                })
                .collect::<Result<_, _>>()?,
        };
        let shop_timezone = env.string("SHOP_TIMEZONE", "Asia/Kolkata");
        if chrono_tz::Tz::from_str(&shop_timezone).is_err() {
            return Err(invalid(
                "SHOP_TIMEZONE",
                &shop_timezone,
                "an IANA time zone such as Asia/Kolkata",
            ));
        }
        let sqlite_synchronous = match env
            .string("SQLITE_SYNCHRONOUS", "full")
            .to_ascii_lowercase()
            .as_str()
        {
            "full" => SqliteSynchronous::Full,
            "normal" => SqliteSynchronous::Normal,
            other => return Err(invalid("SQLITE_SYNCHRONOUS", other, "full or normal")),
        };
        let frontend_url = env
            .string("FRONTEND_URL", "http://localhost:5173")
            .trim_end_matches('/')
            .to_owned();
        let mut allowed_origins: Vec<String> = [
            "http://localhost:5173",
            "http://localhost:5174",
            "http://127.0.0.1:5173",
            "http://127.0.0.1:5174",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        allowed_origins.push(frontend_url.clone());
        if let Some(list) = env.get("ALLOWED_ORIGINS") {
            allowed_origins.extend(
                list.split(',')
                    .map(|s| s.trim().trim_end_matches('/').to_owned())
                    .filter(|s| !s.is_empty()),
            );
        }
        let smtp = smtp(&env)?;
        let log_json = match env.get("LOG_FORMAT").map(|v| v.to_ascii_lowercase()) {
            None => production,
            Some(v) if v == "json" => true,
            Some(v) if v == "pretty" || v == "text" => false,
            Some(v) => return Err(invalid("LOG_FORMAT", &v, "json or pretty")),
        };
        let is_postgres = database_url.starts_with("postgres");
        let jobs = job_settings(&env)?;
        Ok(Config {
            jobs,
            host: env.parse(
                "HOST",
                IpAddr::from([0, 0, 0, 0]),
                "an IP address to listen on",
            )?,
            port,
            data_dir,
            pdf_font_dir,
            database_pool_size: env.parse(
                "DATABASE_POOL_SIZE",
                if is_postgres { 20 } else { 8 },
                "a number of connections",
            )?,
            database_acquire_timeout: env
                .duration("DATABASE_ACQUIRE_TIMEOUT", Duration::from_secs(5))?,
            database_url,
            sqlite_synchronous,
            sqlite_busy_timeout: env.duration("SQLITE_BUSY_TIMEOUT", Duration::from_secs(5))?,
            redis_url,
            redis_key_prefix: env.string("REDIS_KEY_PREFIX", "bizzai:"),
            jwt_secret,
            cookie_secret,
            smtp,
            email_from: env.string("EMAIL_FROM", "BizzAI <no-reply@bizzai.local>"),
            frontend_url,
            allowed_origins,
            production,
            app_env,
            metrics_token: env.get("METRICS_TOKEN").map(Secret::new),
            access_token_ttl: env.duration("ACCESS_TOKEN_TTL", Duration::from_secs(12 * 3600))?,
            refresh_token_ttl: env
                .duration("REFRESH_TOKEN_TTL", Duration::from_secs(7 * 86_400))?,
            single_device_sessions: env.bool("SINGLE_DEVICE_SESSIONS", false)?,
            cookie_same_site: same_site,
            trusted_proxies,
            shop_timezone,
            body_limit: env.bytes("BODY_LIMIT", 1024 * 1024)?,
            import_max_bytes: env.bytes("IMPORT_MAX_BYTES", 10 * 1024 * 1024)?,
            request_timeout: env.duration("REQUEST_TIMEOUT", Duration::from_secs(30))?,
            shutdown_timeout: env.duration("SHUTDOWN_TIMEOUT", Duration::from_secs(20))?,
            lockout_duration: env
                .duration("LOGIN_LOCKOUT_DURATION", Duration::from_secs(15 * 60))?,
            auth_rate_limit: env.parse("AUTH_RATE_LIMIT", 20, "a number of requests per window")?,
            auth_rate_window: env.duration("AUTH_RATE_LIMIT_WINDOW", Duration::from_secs(60))?,
            reset_rate_limit: env.parse(
                "RESET_RATE_LIMIT",
                10,
                "a number of requests per window",
            )?,
            reset_rate_window: env
                .duration("RESET_RATE_LIMIT_WINDOW", Duration::from_secs(3600))?,
            log_json,
            hash_cost: HashCost::PRODUCTION,
        })
    }

    pub fn is_postgres(&self) -> bool {
        self.database_url.starts_with("postgres")
    }
}

fn secret(env: &Env, var: &str, production: bool) -> Result<Option<Secret>, ConfigError> {
    match env.get(var) {
        Some(v) if v.chars().count() >= 32 => Ok(Some(Secret::new(v))),
        Some(_) if production => Err(ConfigError(format!(
            "{var} is too weak: it must be at least 32 characters when APP_ENV=production"
        ))),
        None if production => Err(ConfigError(format!(
            "{var} must be set (at least 32 characters) when APP_ENV=production"
        ))),
        Some(v) => Ok(Some(Secret::new(v))),
        None => Ok(None),
    }
}

fn job_settings(env: &Env) -> Result<JobSettings, ConfigError> {
    let max_attempts: i64 =
        env.parse("JOB_MAX_ATTEMPTS", 3, "a number of attempts (at least 1)")?;
    if max_attempts < 1 {
        return Err(invalid(
            "JOB_MAX_ATTEMPTS",
            &max_attempts.to_string(),
            "a number of attempts (at least 1)",
        ));
    }
    let backoff = env.duration("JOB_BACKOFF", Duration::from_secs(2))?;
    let queue = |name: &str, concurrency: usize| -> Result<QueueConfig, ConfigError> {
        let upper = name.to_ascii_uppercase();
        let attempts_var = format!("JOBS_{upper}_MAX_ATTEMPTS");
        let attempts: i64 = env.parse(
            &attempts_var,
            max_attempts,
            "a number of attempts (at least 1)",
        )?;
        if attempts < 1 {
            return Err(invalid(
                &attempts_var,
                &attempts.to_string(),
                "a number of attempts (at least 1)",
            ));
        }
        let concurrency_var = format!("JOBS_{upper}_CONCURRENCY");
        let concurrency: usize = env.parse(
            &concurrency_var,
            concurrency,
            "a number of jobs run at once",
        )?;
        Ok(QueueConfig {
            name: name.to_owned(),
            concurrency: concurrency.max(1),
            defaults: Defaults {
                max_attempts: attempts,
                backoff: env.duration(&format!("JOBS_{upper}_BACKOFF"), backoff)?,
            },
        })
    };
    let lease = env.duration("JOB_LEASE", Duration::from_secs(30))?;
    Ok(JobSettings {
        lease,
        renew_every: env.duration("JOB_LEASE_RENEW", Duration::from_secs(10))?,
        poll_interval: env.duration("JOB_POLL_INTERVAL", Duration::from_millis(500))?,
        reaper_interval: env.duration("JOB_REAPER_INTERVAL", Duration::from_secs(5))?,
        queues: vec![
            queue(background::EMAIL, 4)?,
            queue(background::PDF, 2)?,
            queue(background::MAINTENANCE, 1)?,
            queue(background::TEST, 64)?,
        ],
        session_cleanup_interval: env
            .duration("SESSION_CLEANUP_INTERVAL", Duration::from_secs(3600))?,
        retention_interval: env.duration("JOB_RETENTION_INTERVAL", Duration::from_secs(600))?,
        keep_completed: env.parse("JOB_KEEP_COMPLETED", 100, "a number of jobs")?,
        keep_dead: env.parse("JOB_KEEP_DEAD", 200, "a number of jobs")?,
        reset_token_ttl: env.duration("RESET_TOKEN_TTL", Duration::from_secs(3600))?,
        test_kinds: env.bool("JOBS_TEST_KINDS", false)?,
        enabled: env.bool("JOB_WORKERS", true)?,
    })
}

fn smtp(env: &Env) -> Result<Option<SmtpConfig>, ConfigError> {
    let Some(host) = env.get("SMTP_HOST") else {
        return Ok(None);
    };
    let security = match env
        .get("SMTP_SECURE")
        .map(|v| v.to_ascii_lowercase())
        .as_deref()
    {
        None | Some("false") => SmtpSecurity::Opportunistic,
        Some("starttls") => SmtpSecurity::StartTls,
        Some("true") => SmtpSecurity::Tls,
        Some(other) => return Err(invalid("SMTP_SECURE", other, "false, starttls or true")),
    };
    let default_port = if security == SmtpSecurity::Tls {
        465
    } else {
        587
    };
    let port: u16 = env.parse("SMTP_PORT", default_port, "a port number 1-65535")?;
    Ok(Some(SmtpConfig {
        host,
        port,
        security,
        user: env.get("SMTP_USER"),
        password: env.get("SMTP_PASS").map(Secret::new),
        timeout: env.duration("SMTP_TIMEOUT", Duration::from_secs(10))?,
    }))
}

fn redis_url_invalid(url: &str) -> bool {
    !(url.starts_with("redis://") || url.starts_with("rediss://") || url.starts_with("unix://"))
        || redis::Client::open(url).is_err()
}

/// Hides the password of a `scheme://user:password@host` URL in messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}://{user}:***@{}", &url[..s], &url[at + 1..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(&move |k| map.get(k).cloned())
    }

    #[test]
    fn defaults_need_nothing() {
        let c = load(&[]).unwrap();
        assert_eq!(c.port, 5000);
        assert!(c.database_url.starts_with("sqlite://./data/bizzai.db"));
        assert_eq!(c.access_token_ttl, Duration::from_secs(43_200));
        assert_eq!(c.refresh_token_ttl, Duration::from_secs(604_800));
        assert_eq!(c.shutdown_timeout, Duration::from_secs(20));
        assert_eq!(c.import_max_bytes, 10 * 1024 * 1024);
        assert_eq!(c.shop_timezone, "Asia/Kolkata");
        assert!(c.redis_url.is_none() && c.smtp.is_none() && !c.production);
    }

    #[test]
    fn invalid_values_name_their_variable() {
        for (var, value) in [
            ("PORT", "abc"),
            ("PORT", "70000"),
            ("DATABASE_URL", "mysql://x"),
            ("DATABASE_URL", "postgres://[::1"),
            ("REDIS_URL", "http://x"),
            ("REDIS_URL", "redis://[::1"),
            ("ACCESS_TOKEN_TTL", "soon"),
            ("SINGLE_DEVICE_SESSIONS", "maybe"),
            ("COOKIE_SAME_SITE", "sometimes"),
            ("TRUSTED_PROXIES", "10.0.0.0/33"),
            ("SHOP_TIMEZONE", "Mars/Olympus"),
            ("SQLITE_SYNCHRONOUS", "off"),
            ("IMPORT_MAX_BYTES", "lots"),
            ("SMTP_SECURE", "yes please"),
            ("APP_ENV", "staging"),
        ] {
            let mut vars = vec![(var, value)];
            if var == "SMTP_SECURE" {
                vars.push(("SMTP_HOST", "localhost"));
            }
            let err = load(&vars).unwrap_err().to_string();
            assert!(err.contains(var), "{var}: {err}");
            assert!(!err.contains('\n'), "one line: {err}");
        }
    }

    #[test]
    fn production_refuses_missing_or_weak_secrets() {
        let strong = "0123456789abcdef0123456789abcdef";
        let err = load(&[("APP_ENV", "production"), ("COOKIE_SECRET", strong)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("JWT_SECRET"), "{err}");
        let err = load(&[
            ("APP_ENV", "production"),
            ("JWT_SECRET", strong),
            ("COOKIE_SECRET", "short"),
        ])
        .unwrap_err()
        .to_string();
        assert!(err.contains("COOKIE_SECRET"), "{err}");
        assert!(
            load(&[
                ("APP_ENV", "production"),
                ("JWT_SECRET", strong),
                ("COOKIE_SECRET", strong)
            ])
            .is_ok()
        );
    }

    #[test]
    fn durations_and_redis_parts_parse() {
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("15m"), Some(Duration::from_secs(900)));
        assert_eq!(parse_duration("7d"), Some(Duration::from_secs(604_800)));
        assert_eq!(parse_duration("45"), Some(Duration::from_secs(45)));
        assert_eq!(parse_duration("-1s"), None);
        let c = load(&[
            ("REDIS_HOST", "cache"),
            ("REDIS_PORT", "6380"),
            ("REDIS_PASSWORD", "pw"),
        ])
        .unwrap();
        assert_eq!(c.redis_url.as_deref(), Some("redis://:pw@cache:6380"));
        let c = load(&[("SMTP_HOST", "mail"), ("SMTP_SECURE", "true")]).unwrap();
        assert_eq!(c.smtp.unwrap().port, 465);
        assert_eq!(
            redact_url("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
    }
}
