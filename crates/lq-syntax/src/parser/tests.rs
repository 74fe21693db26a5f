//! Tests of the parser: precedence, regular expressions against division, negations, hints.

use super::*;

fn one_expr(src: &str) -> Expr {
    let q = parse(&format!("filter {src}")).unwrap();
    match &q.commands[0].kind {
        CommandKind::Filter(e) => e.clone(),
        other => panic!("not a filter: {other:?}"),
    }
}

#[test]
fn precedence() {
    let e = one_expr("a + b * c = 7 and not x or y");
    let ExprKind::Binary(BinaryOp::Or, left, _) = e.kind else {
        panic!()
    };
    let ExprKind::Binary(BinaryOp::And, cmp, not) = left.kind else {
        panic!()
    };
    assert!(matches!(not.kind, ExprKind::Unary(UnaryOp::Not, _)));
    let ExprKind::Binary(BinaryOp::Eq, sum, _) = cmp.kind else {
        panic!()
    };
    let ExprKind::Binary(BinaryOp::Add, _, product) = sum.kind else {
        panic!()
    };
    assert!(matches!(
        product.kind,
        ExprKind::Binary(BinaryOp::Mul, _, _)
    ));
}

#[test]
fn regex_versus_division() {
    let e = one_expr("a / 2 > 1 and msg like /x\\/y/");
    let ExprKind::Binary(BinaryOp::And, l, r) = e.kind else {
        panic!()
    };
    assert!(matches!(l.kind, ExprKind::Binary(BinaryOp::Gt, _, _)));
    let ExprKind::Like {
        pattern,
        negated: false,
        ..
    } = r.kind
    else {
        panic!()
    };
    assert_eq!(pattern.kind, ExprKind::Regex("x/y".into()));
}

#[test]
fn not_like_and_not_in() {
    assert!(matches!(
        one_expr("x not like 'a'").kind,
        ExprKind::Like { negated: true, .. }
    ));
    assert!(matches!(
        one_expr("x NOT IN [1, 'b']").kind,
        ExprKind::In { negated: true, .. }
    ));
}

#[test]
fn errors_have_hints() {
    let src = "stats count() by";
    let err = parse(src).unwrap_err();
    assert_eq!(err.message, "expected a group key after `by`");
    assert!(err.hint.unwrap().contains("by service"));
    let err = parse("fitler x = 1").unwrap_err();
    assert_eq!(err.hint.as_deref(), Some("did you mean `filter`?"));
    let err = parse("tail 5").unwrap_err();
    assert!(err.message.contains("not supported yet"));
    let err = parse("parse @message 'a * b * c' as x").unwrap_err();
    assert!(err.message.contains("2 `*` but 1 name"));
    assert!(parse("").is_err());
    assert!(parse("fields a |").is_err());
    assert!(parse(&"(".repeat(10_000)).is_err());
}
