use super::*;
use HealthFormat::{AspNet, Auto, Ietf, K8s, MicroProfile, Spring};

fn read(format: HealthFormat, body: &str) -> HealthDocument {
    let doc = parse(format, None, body.as_bytes()).expect(body);
    doc.expect("a health document")
}

fn detected(content_type: Option<&str>, body: &[u8]) -> Option<HealthFormat> {
    let doc = parse(Auto, content_type, body).expect("Auto never fails");
    doc.map(|d| d.format)
}

/// One line for the document, one per component: `name status STATE =value unit (detail)`.
fn describe(doc: &HealthDocument) -> String {
    let status = doc.status.as_deref().unwrap_or("-");
    let mut out = format!("{}: {status} {}", doc.format.label(), doc.state);
    for c in &doc.components {
        out += &format!("\n{} {} {}", c.name, c.status, c.state);
        if let Some(Observed { value, unit }) = &c.observed {
            out += &format!(" ={value} {}", unit.as_deref().unwrap_or("-"));
        }
        if let Some(detail) = &c.detail {
            out += &format!(" ({detail})");
        }
    }
    out
}

// The example in the Spring Boot 3 actuator API documentation, path shortened.
const SPRING_UP: &str = r#"{"status":"UP","components":{
    "broker":{"status":"UP","components":{
        "us1":{"status":"UP","details":{"version":"1.0.2"}},
        "us2":{"status":"UP","details":{"version":"1.0.4"}}}},
    "db":{"status":"UP","details":{"database":"H2","validationQuery":"isValid()"}},
    "diskSpace":{"status":"UP","details":{"total":76887154688,"free":49923645440,
        "threshold":10485760,"path":"/srv/app/.","exists":true}}}}"#;

const SPRING_DOWN: &str = r#"{"status":"DOWN","components":{
    "db":{"status":"DOWN","details":{"error":"org.springframework.jdbc.CannotGetJdbcConnectionException: Failed to obtain JDBC Connection"}},
    "ping":{"status":"UP"},
    "rabbit":{"status":"OUT_OF_SERVICE"},
    "mail":{"status":"UNKNOWN","details":{"location":"smtp.example.com:25"}},
    "ldap":{"status":"DEGRADED","details":{"servers":["ldap1","ldap2"],"pool":{"idle":0}}}}}"#;

// draft-inadarei-api-health-check-06 section 8, abridged: its two cpu readings share a
// componentId.
const IETF_PASS: &str = r#"{"status":"pass","version":"1","releaseId":"1.2.2","notes":[""],
    "output":"","serviceId":"f03e522f-1f44-4062-9b55-9587f91c9c41",
    "description":"health of authz service","checks":{
    "cassandra:responseTime":[{"componentId":"dfd6cf2b-1b6e-4412-a0b8-f6f7797a60d2",
        "componentType":"datastore","observedValue":250,"observedUnit":"ms","status":"pass",
        "affectedEndpoints":["/users/{userId}"],"time":"2019-01-17T03:36:48Z","output":""}],
    "uptime":[{"componentType":"system","observedValue":1209600.245,"observedUnit":"s",
        "status":"pass","time":"2019-01-17T03:36:48Z"}],
    "cpu:utilization":[
        {"componentId":"6fd416e0-8920-410f-9c7b-c479000f7227","node":1,"componentType":"system",
         "observedValue":85,"observedUnit":"percent","status":"warn","output":""},
        {"componentId":"6fd416e0-8920-410f-9c7b-c479000f7227","node":2,"componentType":"system",
         "observedValue":85,"observedUnit":"percent","status":"warn","output":""}]}}"#;

const IETF_FAIL: &str = r#"{"status":"fail","description":"orders service","checks":{
    "postgres:connections":[
        {"componentId":"db-primary","componentType":"datastore","status":"fail",
         "output":"dial tcp 10.0.0.5:5432: connect: connection refused"},
        {"componentId":"db-replica","componentType":"datastore","observedValue":12,"status":"pass"}],
    "redis:responseTime":[{"componentType":"datastore","observedValue":250,"observedUnit":"ms",
        "status":"WARN","output":"Response time over target of less than 100ms"}]}}"#;

// Quarkus SmallRye Health /q/health.
const MICROPROFILE_UP: &str = r#"{"status":"UP","checks":[
    {"name":"Database connections health check","status":"UP","data":{"<default>":"UP"}},
    {"name":"SmallRye Reactive Messaging - readiness check","status":"UP","data":{"prices":"[OK]"}}]}"#;

const MICROPROFILE_DOWN: &str = r#"{"status":"DOWN","checks":[
    {"name":"Database connections health check","status":"DOWN","data":{"<default>":
        "Unable to execute the validation check for the default DataSource: Connection refused"}},
    {"name":"alive","status":"UP"}]}"#;

// HealthChecks.UI.Client UIResponseWriter.
const ASPNET_HEALTHY: &str = r#"{"status":"Healthy","totalDuration":"00:00:00.0235310","entries":{
    "npgsql":{"data":{},"duration":"00:00:00.0188870","status":"Healthy","tags":["db"]},
    "redis":{"data":{},"duration":"00:00:00.0041213","status":"Healthy","tags":["cache"]}}}"#;

const ASPNET_UNHEALTHY: &str = r#"{"status":"Unhealthy","totalDuration":"00:00:05.0061235","entries":{
    "npgsql":{"data":{},"description":"Failed to connect to 127.0.0.1:5432","duration":"00:00:05.0012",
        "exception":"Failed to connect to 127.0.0.1:5432","status":"Unhealthy","tags":["db"]},
    "diskstorage":{"data":{},"description":"Minimum configured megabytes for disk C:\\ is 1024 but actual free space are 512 megabytes",
        "duration":"00:00:00.0010","status":"Degraded","tags":[]},
    "redis":{"data":{},"description":null,"duration":"00:00:00.0001",
        "exception":"It was not possible to connect to the redis server(s).","status":"unhealthy"}}}"#;

// kube-apiserver /livez?verbose and a failing /readyz?verbose.
const LIVEZ_PASSED: &str = "[+]ping ok\n[+]log ok\n[+]etcd ok\n\
    [+]poststarthook/start-kube-apiserver-admission-initializer ok\nlivez check passed\n";

const READYZ_FAILED: &str = "[+]ping ok\n[-]etcd failed: reason withheld\n\
    [+]shutdown excluded: ok\n[+]poststarthook/rbac/bootstrap-roles ok\nreadyz check failed\n";

#[test]
fn spring_components_are_flattened_in_document_order_with_their_details() {
    assert_eq!(
        describe(&read(Spring, SPRING_UP)),
        "Spring Boot: UP OK\n\
         broker/us1 UP OK (version=1.0.2)\n\
         broker/us2 UP OK (version=1.0.4)\n\
         db UP OK (database=H2, validationQuery=isValid())\n\
         diskSpace UP OK (total=76887154688, free=49923645440, threshold=10485760, path=/srv/app/., exists=true)"
    );
}

#[test]
fn spring_down_is_critical_with_the_error_and_other_statuses_are_warnings() {
    assert_eq!(
        describe(&read(Spring, SPRING_DOWN)),
        "Spring Boot: DOWN CRITICAL\n\
         db DOWN CRITICAL (org.springframework.jdbc.CannotGetJdbcConnectionException: Failed to obtain JDBC Connection)\n\
         ping UP OK\n\
         rabbit OUT_OF_SERVICE WARNING\n\
         mail UNKNOWN WARNING (location=smtp.example.com:25)\n\
         ldap DEGRADED WARNING (servers=[ldap1, ldap2], pool={idle=0})"
    );
}

#[test]
fn spring_2_0_details_and_1_x_top_level_indicators_are_components_too() {
    let v2_0 = r#"{"status":"up","details":{"disk":{"status":"UP","details":{"free":1}},
        "db":{"status":"DOWN","details":{"database":"MySQL","error":"timeout"}}}}"#;
    let expected = "Spring Boot: up OK\ndisk UP OK (free=1)\ndb DOWN CRITICAL (timeout)";
    assert_eq!(describe(&read(Spring, v2_0)), expected);
    let v1 = r#"{"status":"UP","diskSpace":{"status":"UP","total":290391584768},"x":{}}"#;
    assert_eq!(
        describe(&read(Spring, v1)),
        "Spring Boot: UP OK\ndiskSpace UP OK"
    );
}

#[test]
fn ietf_readings_are_named_by_measurement_and_keep_observed_values() {
    assert_eq!(
        describe(&read(Ietf, IETF_PASS)),
        "IETF health+json: pass OK\n\
         cassandra:responseTime pass OK =250 ms\n\
         uptime pass OK =1209600.245 s\n\
         cpu:utilization#1 warn WARNING =85 percent\n\
         cpu:utilization#2 warn WARNING =85 percent"
    );
}

#[test]
fn ietf_failing_check_is_critical_with_its_output_as_detail() {
    assert_eq!(
        describe(&read(Ietf, IETF_FAIL)),
        "IETF health+json: fail CRITICAL\n\
         postgres:connections[db-primary] fail CRITICAL (dial tcp 10.0.0.5:5432: connect: connection refused)\n\
         postgres:connections[db-replica] pass OK =12 -\n\
         redis:responseTime WARN WARNING =250 ms (Response time over target of less than 100ms)"
    );
}

#[test]
fn microprofile_checks_are_up_or_down_with_their_data_as_detail() {
    assert_eq!(
        describe(&read(MicroProfile, MICROPROFILE_UP)),
        "MicroProfile Health: UP OK\n\
         Database connections health check UP OK (<default>=UP)\n\
         SmallRye Reactive Messaging - readiness check UP OK (prices=[OK])"
    );
    assert_eq!(
        describe(&read(MicroProfile, MICROPROFILE_DOWN)),
        "MicroProfile Health: DOWN CRITICAL\n\
         Database connections health check DOWN CRITICAL (<default>=Unable to execute the \
         validation check for the default DataSource: Connection refused)\n\
         alive UP OK"
    );
}

#[test]
fn microprofile_1_0_outcome_and_state_are_read_as_statuses() {
    let old = r#"{"outcome":"DOWN","checks":[{"name":"disk","state":"DOWN"},{"status":"UP"}]}"#;
    let expected = "MicroProfile Health: DOWN CRITICAL\ndisk DOWN CRITICAL\n#2 UP OK";
    assert_eq!(describe(&read(MicroProfile, old)), expected);
}

#[test]
fn aspnet_entries_map_case_insensitively_with_description_or_else_exception() {
    assert_eq!(
        describe(&read(AspNet, ASPNET_HEALTHY)),
        "ASP.NET Core: Healthy OK\nnpgsql Healthy OK\nredis Healthy OK"
    );
    assert_eq!(
        describe(&read(AspNet, ASPNET_UNHEALTHY)),
        "ASP.NET Core: Unhealthy CRITICAL\n\
         npgsql Unhealthy CRITICAL (Failed to connect to 127.0.0.1:5432)\n\
         diskstorage Degraded WARNING (Minimum configured megabytes for disk C:\\ is 1024 but \
         actual free space are 512 megabytes)\n\
         redis unhealthy CRITICAL (It was not possible to connect to the redis server(s).)"
    );
}

#[test]
fn kubernetes_check_lines_are_components_and_the_last_line_is_the_status() {
    assert_eq!(
        describe(&read(K8s, LIVEZ_PASSED)),
        "Kubernetes: passed OK\nping ok OK\nlog ok OK\netcd ok OK\n\
         poststarthook/start-kube-apiserver-admission-initializer ok OK"
    );
    assert_eq!(
        describe(&read(K8s, READYZ_FAILED)),
        "Kubernetes: failed CRITICAL\nping ok OK\netcd failed CRITICAL (reason withheld)\n\
         shutdown excluded OK\npoststarthook/rbac/bootstrap-roles ok OK"
    );
    let bare = "\u{feff}[+]ping ok\r\n[-]etcd failed\r\n";
    let expected = "Kubernetes: - CRITICAL\nping ok OK\netcd failed CRITICAL";
    assert_eq!(describe(&read(K8s, bare)), expected);
}

#[test]
fn auto_recognises_each_format_from_real_documents() {
    let cases = [
        (SPRING_UP, Spring),
        (SPRING_DOWN, Spring),
        (r#"{"status":"UP"}"#, Spring),
        (
            r#"{"status":"DOWN","details":{"db":{"status":"DOWN"}}}"#,
            Spring,
        ),
        (IETF_PASS, Ietf),
        (IETF_FAIL, Ietf),
        (r#"{"status":"warn"}"#, Ietf),
        (MICROPROFILE_UP, MicroProfile),
        (MICROPROFILE_DOWN, MicroProfile),
        (ASPNET_HEALTHY, AspNet),
        (ASPNET_UNHEALTHY, AspNet),
        (r#"{"status":"Degraded"}"#, AspNet),
        (LIVEZ_PASSED, K8s),
        (READYZ_FAILED, K8s),
        // Kubernetes text is recognised whatever content type the server claims.
        ("\n[-]etcd failed: reason withheld\n", K8s),
    ];
    for (body, format) in cases {
        let json = Some("application/json");
        assert_eq!(detected(json, body.as_bytes()), Some(format), "{body}");
    }
}

#[test]
fn the_health_json_content_type_makes_any_status_word_ietf_unless_checks_say_otherwise() {
    let content_type = Some("Application/Health+JSON; charset=utf-8");
    let doc = parse(Auto, content_type, br#"{"status":"up"}"#)
        .expect("Auto never fails")
        .expect("a health document");
    assert_eq!(describe(&doc), "IETF health+json: up OK");
    let microprofile = detected(content_type, MICROPROFILE_UP.as_bytes());
    assert_eq!(microprofile, Some(MicroProfile));
}

#[test]
fn auto_passes_over_bodies_that_are_not_health_documents() {
    let bodies: [&[u8]; 9] = [
        br#"{"status":"ok"}"#,
        br#"{"name":"orders","version":"1.4.2"}"#,
        b"<!DOCTYPE html><html><body>It works!</body></html>",
        b"ok",
        b"",
        b"null",
        b"[]",
        br#"{"status":5}"#,
        b"\xff\xfe\x00",
    ];
    for body in bodies {
        assert_eq!(
            detected(None, body),
            None,
            "{}",
            String::from_utf8_lossy(body)
        );
    }
    assert_eq!(
        parse(HealthFormat::None, None, SPRING_UP.as_bytes()),
        Ok(None)
    );
}

#[test]
fn an_explicit_format_that_does_not_match_is_an_error_saying_why() {
    let error = |format, body: &str| parse(format, None, body.as_bytes()).expect_err("an error");
    let cases = [
        (
            Spring,
            r#"{"checks":[]}"#,
            r#"a Spring Boot health document: no top-level "status""#,
        ),
        (
            Spring,
            r#"{"status":"UP","components":[]}"#,
            r#"a Spring Boot health document: "components" is not an object"#,
        ),
        (
            Spring,
            "[]",
            "a Spring Boot health document: not a JSON object",
        ),
        (
            Ietf,
            r#"{"status":"pass","checks":[]}"#,
            r#"an IETF health+json document: "checks" is not an object"#,
        ),
        (
            MicroProfile,
            SPRING_UP,
            r#"a MicroProfile Health document: no "checks" array"#,
        ),
        (
            AspNet,
            r#"{"entries":{}}"#,
            r#"an ASP.NET Core health document: no top-level "status""#,
        ),
        (
            AspNet,
            r#"{"status":"Healthy","entries":5}"#,
            r#"an ASP.NET Core health document: "entries" is not an object"#,
        ),
        (
            K8s,
            SPRING_UP,
            r#"a Kubernetes verbose health document: no "[+]" or "[-]" check lines"#,
        ),
    ];
    for (format, body, message) in cases {
        assert_eq!(error(format, body).to_string(), format!("not {message}"));
    }
    let not_json = "not valid JSON: expected value at line 1 column 2";
    assert_eq!(error(Ietf, LIVEZ_PASSED).to_string(), not_json);
    let empty = "not valid JSON: EOF while parsing a value at line 1 column 0";
    assert_eq!(error(AspNet, "").to_string(), empty);
}

#[test]
fn format_names_parse_case_insensitively_and_unknown_ones_list_the_choices() {
    assert_eq!(HealthFormat::parse("MicroProfile"), Ok(MicroProfile));
    assert_eq!(HealthFormat::parse(" K8S "), Ok(K8s));
    let choices = "expected one of auto, none, spring, ietf, microprofile, aspnet, k8s";
    let unknown = format!("unknown health format 'actuator': {choices}");
    assert_eq!(HealthFormat::parse("actuator"), Err(unknown));
    let labels = [Spring, Ietf, MicroProfile, AspNet, K8s].map(HealthFormat::label);
    let expected = [
        "Spring Boot",
        "IETF health+json",
        "MicroProfile Health",
        "ASP.NET Core",
        "Kubernetes",
    ];
    assert_eq!(labels, expected);
}

#[test]
fn details_are_one_line_of_at_most_200_characters() {
    let long = "é".repeat(300);
    let body = format!(
        r#"{{"status":"DOWN","components":{{"db":{{"status":"DOWN","details":{{"error":"one\n\ttwo {long}"}}}}}}}}"#
    );
    let detail = read(Spring, &body).components[0].detail.clone();
    let expected = format!("one two {}...", "é".repeat(189));
    assert_eq!(expected.chars().count(), 200);
    assert_eq!(detail, Some(expected));
}

#[test]
fn ten_thousand_components_are_cut_to_five_hundred_in_every_format() {
    let many = |each: &dyn Fn(usize) -> String| (0..10_000).map(each).collect::<Vec<_>>().join(",");
    let spring = many(&|i| format!(r#""c{i}":{{"status":"UP"}}"#));
    let ietf = many(&|_| r#"{"status":"pass"}"#.into());
    let microprofile = many(&|i| format!(r#"{{"name":"c{i}","status":"UP"}}"#));
    let aspnet = many(&|i| format!(r#""c{i}":{{"status":"Healthy"}}"#));
    let bodies = [
        (
            Spring,
            format!(r#"{{"status":"UP","components":{{{spring}}}}}"#),
        ),
        (
            Ietf,
            format!(r#"{{"status":"pass","checks":{{"x":[{ietf}]}}}}"#),
        ),
        (
            MicroProfile,
            format!(r#"{{"status":"UP","checks":[{microprofile}]}}"#),
        ),
        (
            AspNet,
            format!(r#"{{"status":"Healthy","entries":{{{aspnet}}}}}"#),
        ),
        (K8s, (0..10_000).map(|i| format!("[+]c{i} ok\n")).collect()),
    ];
    for (format, body) in bodies {
        let doc = read(format, &body);
        assert_eq!(doc.components.len(), 500, "{format:?}");
    }
}

#[test]
fn spring_nesting_stops_at_sixteen_levels_with_that_level_as_the_leaf() {
    let mut body = r#"{"status":"DOWN"}"#.to_owned();
    for level in (1..=40).rev() {
        body = format!(r#"{{"status":"DOWN","components":{{"l{level}":{body}}}}}"#);
    }
    let path: Vec<String> = (1..=16).map(|level| format!("l{level}")).collect();
    let expected = format!(
        "Spring Boot: DOWN CRITICAL\n{} DOWN CRITICAL",
        path.join("/")
    );
    assert_eq!(describe(&read(Spring, &body)), expected);
}

#[test]
fn garbage_in_any_format_never_panics() {
    let deep = "[".repeat(100_000);
    let huge = format!(
        r#"{{"status":"pass","checks":{{"x":[{{"observedValue":1{}}}]}}}}"#,
        "0".repeat(400)
    );
    let bodies: [&[u8]; 16] = [
        b"",
        b"null",
        b"[]",
        b"{}",
        br#"{"status":5}"#,
        br#"{"status":null,"components":null,"checks":null,"entries":null,"details":null}"#,
        br#"{"status":"UP","components":{"a":null,"b":[1],"c":{"status":7},"d":{"status":"UP","details":[{}]}}}"#,
        br#"{"status":"pass","checks":{"a":[null,5,{"status":[]}],"b":"x","c":{"status":"fail"}}}"#,
        br#"{"checks":[null,{"name":5,"status":{}},{"data":[1]}]}"#,
        br#"{"status":"Healthy","entries":{"a":5,"b":{"status":null,"description":7}}}"#,
        br#"{"status":"UP","x":1e999}"#,
        br#"{"status":"UP","x":-123456789012345678901234567890}"#,
        b"\xff\xfe[+]\xffx ok\n[-]\n[-] failed:\n[+]",
        b"\xEF\xBB\xBF[+]ping ok",
        deep.as_bytes(),
        huge.as_bytes(),
    ];
    for body in bodies {
        for (_, format) in FORMAT_NAMES {
            let _ = parse(format, Some("application/health+json"), body);
            let _ = parse(format, None, body);
        }
    }
    assert_eq!(detected(None, deep.as_bytes()), None);
    let recursion = parse(Spring, None, deep.as_bytes())
        .expect_err("an error")
        .to_string();
    assert!(
        recursion.starts_with("not valid JSON: recursion limit exceeded"),
        "{recursion}"
    );
}

#[test]
fn invalid_utf8_in_kubernetes_text_is_read_lossily() {
    let body = b"[+]ping ok\n[-]\xffdisk failed: \xfe full\nlivez check failed";
    let doc = parse(Auto, None, body).expect("Auto never fails");
    let doc = doc.expect("a health document");
    let expected =
        "Kubernetes: failed CRITICAL\nping ok OK\n\u{fffd}disk failed CRITICAL (\u{fffd} full)";
    assert_eq!(describe(&doc), expected);
}
