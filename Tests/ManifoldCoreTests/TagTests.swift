import Testing
@testable import ManifoldCore

/// Tag expressions and filters: what a mount or an endpoint keeps, and why it drops the rest.
@Suite struct TagExpressionTests {
    @Test func notBindsTighterThanAndWhichBindsTighterThanOr() throws {
        let e = try TagExpression.parse("a or b and not c")
        #expect(e == .or(.tag("a"), .and(.tag("b"), .not(.tag("c")))))
        #expect(e.matches(["a", "c"]))
        #expect(e.matches(["b"]))
        #expect(!e.matches(["b", "c"]))
        #expect(!e.matches([]))
    }

    @Test func parenthesesOverridePrecedence() throws {
        let e = try TagExpression.parse("(a or b) and not (c or d)")
        #expect(e == .and(.or(.tag("a"), .tag("b")), .not(.or(.tag("c"), .tag("d")))))
        #expect(e.matches(["b"]))
        #expect(!e.matches(["a", "d"]))
    }

    @Test func chainsAssociateToTheLeft() throws {
        #expect(try TagExpression.parse("a and b and c") == .and(.and(.tag("a"), .tag("b")), .tag("c")))
        #expect(try TagExpression.parse("not not a") == .not(.not(.tag("a"))))
    }

    @Test func operatorsAreCaseInsensitiveAndTagsKeepTheirPunctuation() throws {
        let e = try TagExpression.parse("public AND NOT team:ops/admin-2.x_y")
        #expect(e == .and(.tag("public"), .not(.tag("team:ops/admin-2.x_y"))))
    }

    @Test func descriptionParsesBackToTheSameExpression() throws {
        for text in ["a or b and not c", "(a or b) and not (c or d)", "not (a and b) or c", "a and (b or (c and not d))"] {
            let e = try TagExpression.parse(text)
            #expect(try TagExpression.parse(e.description) == e, "\(text) → \(e.description)")
        }
        #expect(try TagExpression.parse("public and not admin").description == "public and not admin")
    }

    @Test(arguments: [
        ("", "the expression is empty"),
        ("   ", "the expression is empty"),
        ("a and", "expected a tag or '(' at the end"),
        ("(a or b", "missing ')'"),
        ("a)", "unexpected ')'"),
        (")", "unexpected ')'"),
        ("a b", "unexpected 'b'"),
        ("a & b", "unexpected character '&'"),
        ("and a", "expected a tag before 'and'"),
        ("a or or b", "expected a tag before 'or'"),
    ])
    func malformedExpressionsAreRefusedSayingWhere(text: String, message: String) {
        do {
            let e = try TagExpression.parse(text)
            Issue.record("'\(text)' parsed as \(e)")
        } catch {
            #expect(error.message == message)
            #expect(error.description == "invalid tag filter '\(text)': \(message)")
        }
    }
}

@Suite struct TagFilterTests {
    @Test func emptyFilterKeepsEverything() {
        #expect(TagFilter.all.isEmpty)
        #expect(TagFilter.all.keeps([]))
        #expect(TagFilter.all.keeps(["admin"]))
        #expect(TagFilter.all.description == "everything")
    }

    @Test func includeKeepsComponentsWithAnyListedTag() {
        let f = TagFilter(include: ["math", "text"])
        #expect(f.keeps(["text", "other"]))
        #expect(!f.keeps(["other"]))
        #expect(f.removalReason(["other"]) == "has none of the included tags [math, text]")
        #expect(f.removalReason([]) == "has none of the included tags [math, text]")
    }

    @Test func excludeDropsAndWinsOverInclude() {
        let f = TagFilter(include: ["public"], exclude: ["admin", "beta"])
        #expect(f.keeps(["public"]))
        #expect(f.removalReason(["public", "beta", "admin"]) == "excluded by tag 'admin'")
    }

    @Test func expressionMustMatch() throws {
        let f = TagFilter(expression: try TagExpression.parse("public and not admin"))
        #expect(f.keeps(["public"]))
        #expect(f.removalReason(["public", "admin"]) == "does not match 'public and not admin'")
        #expect(f.description == "where public and not admin")
    }

    @Test func descriptionListsEveryPart() throws {
        let f = TagFilter(include: ["b", "a"], exclude: ["z"], expression: .tag("x"))
        #expect(f.description == "include [a, b], exclude [z], where x")
    }

    /// `combined(with:)` keeps exactly what both filters keep, for every tag set over a small
    /// alphabet — includes become `or` chains, excludes unite, expressions conjoin.
    @Test func combinedFilterKeepsExactlyWhatBothKeep() throws {
        let alphabet = ["a", "b", "c", "d"]
        let tagSets: [Set<String>] = (0..<(1 << alphabet.count)).map { mask in
            Set(alphabet.indices.filter { mask & (1 << $0) != 0 }.map { alphabet[$0] })
        }
        let filters: [TagFilter] = [
            .all,
            TagFilter(include: ["a", "b"]),
            TagFilter(exclude: ["c"]),
            TagFilter(include: ["c"], exclude: ["a"]),
            TagFilter(expression: try TagExpression.parse("a and not d")),
            TagFilter(include: ["d"], expression: try TagExpression.parse("b or c")),
        ]
        for first in filters {
            for second in filters {
                let both = first.combined(with: second)
                for tags in tagSets {
                    #expect(both.keeps(tags) == (first.keeps(tags) && second.keeps(tags)),
                            "[\(first)] + [\(second)] on \(tags.sorted())")
                }
            }
        }
    }

    @Test func combiningWithAnEmptyFilterReturnsTheOther() {
        let f = TagFilter(include: ["x"])
        #expect(TagFilter.all.combined(with: f) == f)
        #expect(f.combined(with: .all) == f)
    }
}
