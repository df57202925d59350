// The Kijun rule language. One file is either a disease (`disease ...`) or a
// shared module (`module ...`). See docs/language.md for every construct.
grammar Kijun;

ruleFile
    : (diseaseHeader | moduleHeader) importDecl* declaration* EOF
    ;

// ---------------------------------------------------------------- header
diseaseHeader
    : DISEASE programme=name number=(INT | STRING) nameJa=STRING (EN nameEn=STRING)?
      headerField*
    ;

moduleHeader
    : MODULE name STRING? (EN STRING)? headerField*
    ;

headerField
    : REVISION INT                                  # revisionField
    | EFFECTIVE DATE                                # effectiveField
    | SOURCE STRING (URL STRING)? (DATED DATE)?     # sourceField
    | VARIANTS name (',' name)*                     # variantsField
    ;

importDecl
    : IMPORT STRING
    ;

// ---------------------------------------------------------------- declarations
declaration
    : section
    | calc
    | check
    | classification
    | table
    | testCase
    ;

section
    : SECTION name STRING? (EN STRING)? (ONLY name)? '{' sectionMember* '}'
    ;

sectionMember
    : item
    | group
    ;

item
    : ITEM name STRING? (EN STRING)? ':' typeSpec itemOption*
    ;

group
    : GROUP name STRING? (EN STRING)? REPEAT INT '..' INT '{' item* '}'
    ;

itemOption
    : ',' REQUIRED name?                            # requiredOption
    | ',' WHEN expr                                 # whenOption
    ;

typeSpec
    : LIST INT OF typeSpec                          # listType
    | INTEGER range? unit?                          # integerType
    | DECIMAL '(' INT ')' range? unit?              # decimalType
    | ANSWER                                        # answerType
    | YESNO                                         # yesnoType
    | CHOICE '{' option (',' option)* ','? '}'      # choiceType
    | CHOICES '{' option (',' option)* ','? '}'     # choicesType
    | DATE_T                                        # dateType
    | YEARMONTH_T                                   # yearMonthType
    | TEXT MAX INT (LINES INT)?                     # textType
    ;

range
    : lo=signedNumber '..' hi=signedNumber
    ;

unit
    : STRING
    ;

signedNumber
    : '-'? (INT | DECIMAL_LIT)
    ;

option
    : INT STRING (EN STRING)?
    ;

calc
    : CALC name STRING? (EN STRING)? (':' calcType)? '=' expr
    ;

calcType
    : INTEGER unit?                                 # calcInteger
    | DECIMAL '(' INT ')' unit?                     # calcDecimal
    | BOOLEAN                                       # calcBoolean
    | TEXT                                          # calcText
    ;

check
    : CHECK name severityWord=(ERROR | WARNING) STRING (EN STRING)? ':' expr
    ;

classification
    : kind=(DIAGNOSIS | SEVERITY | OUTCOME) name STRING? (EN STRING)?
      '{' level+ qualifying? '}'
    ;

level
    : LEVEL name STRING? (EN STRING)? ':' (expr | OTHERWISE)
    ;

qualifying
    : QUALIFYING name (',' name)*
    ;

table
    : TABLE name STRING? ROWS '(' cell (',' cell)* ')' COLUMNS '(' cell (',' cell)* ')'
      '{' tableRow+ '}'
    ;

tableRow
    : cell+ ';'
    ;

cell
    : STRING | INT
    ;

testCase
    : TEST STRING '{' testClause* '}'
    ;

testClause
    : VARIANT name                                  # testVariant
    | DATED DATE                                    # testDate
    | GIVEN '{' (binding (',' binding)* ','?)? '}'  # testGiven
    | EXPECT name '=' expectValue                   # expectValue_
    | EXPECT severityWord=(ERROR | WARNING) name    # expectMessage
    | EXPECT NO MESSAGES                            # expectNoMessages
    | EXPECT INSUFFICIENT name ('(' name (',' name)* ')')?  # expectInsufficient
    ;

binding
    : name ':' literal
    ;

expectValue
    : literal
    | name
    ;

literal
    : '-'? INT                                      # intLiteral
    | '-'? DECIMAL_LIT                              # decimalLiteral
    | STRING                                        # stringLiteral
    | DATE                                          # dateLiteral
    | YEARMONTH                                     # yearMonthLiteral
    | (TRUE | FALSE)                                # boolLiteral
    | (GAITO | HIGAITO | FUMEI | ARI | NASHI)       # answerLiteral
    | '[' (literal (',' literal)*)? ']'             # listLiteral
    ;

// ---------------------------------------------------------------- expressions
expr
    // Alternatives are listed from the tightest binding to the loosest.
    : expr '[' expr ']'                                             # indexExpr
    | primary                                                       # primaryExpr
    | <assoc = right> expr '^' expr                                 # powExpr
    | '-' expr                                                      # negExpr
    | expr op=('*' | '/') expr                                      # mulExpr
    | expr op=('+' | '-') expr                                      # addExpr
    | expr op=('=' | '!=' | '<' | '<=' | '>' | '>=') expr           # compareExpr
    | NOT expr                                                      # notExpr
    | expr (AND | KATSU) expr                                       # andExpr
    | expr (OR | MATAHA) expr                                       # orExpr
    | IF expr THEN expr ELSE expr                                   # ifExpr
    ;

primary
    : INT                                                           # intAtom
    | DECIMAL_LIT                                                   # decimalAtom
    | STRING                                                        # stringAtom
    | DATE                                                          # dateAtom
    | YEARMONTH                                                     # yearMonthAtom
    | (TRUE | FALSE)                                                # boolAtom
    | FUMEI                                                         # unknownAtom
    | AT LEAST expr OF '(' expr (',' expr)* ')'                     # atLeastAtom
    | (ANY | ALL) OF '(' expr (',' expr)* ')'                       # anyAllAtom
    | CASES '{' caseArm+ ELSE '->' expr ';'? '}'                    # casesAtom
    | LOOKUP name '[' expr ',' expr ']'                             # lookupAtom
    | name '(' name IN expr '..' expr ':' expr ')'                  # comprehensionAtom
    | name '(' (expr (',' expr)*)? ')'                              # callAtom
    | name                                                          # nameAtom
    | '(' expr ')'                                                  # parenAtom
    ;

caseArm
    : expr '->' expr ';'
    ;

// A few keywords are also ordinary words (max, any, all, lines …); they
// may be used as names where the grammar expects one.
name
    : IDENT
    | CODE
    | MAX
    | ANY
    | ALL
    | LINES
    | ROWS
    | COLUMNS
    | URL
    | SOURCE
    | LEVEL
    | VARIANT
    | VARIANTS
    | GAITO
    | HIGAITO
    | ARI
    | NASHI
    ;

// ---------------------------------------------------------------- lexer
DISEASE : 'disease';
MODULE : 'module';
REVISION : 'revision';
EFFECTIVE : 'effective';
SOURCE : 'source';
URL : 'url';
DATED : 'dated';
VARIANTS : 'variants';
IMPORT : 'import';
SECTION : 'section';
ONLY : 'only';
ITEM : 'item';
GROUP : 'group';
REPEAT : 'repeat';
REQUIRED : 'required';
WHEN : 'when';
LIST : 'list';
OF : 'of';
INTEGER : 'integer';
DECIMAL : 'decimal';
ANSWER : 'answer';
YESNO : 'yesno';
CHOICE : 'choice';
CHOICES : 'choices';
DATE_T : 'date';
YEARMONTH_T : 'yearmonth';
TEXT : 'text';
MAX : 'max';
LINES : 'lines';
BOOLEAN : 'boolean';
EN : 'en';
CALC : 'calc';
CHECK : 'check';
ERROR : 'error';
WARNING : 'warning';
DIAGNOSIS : 'diagnosis';
SEVERITY : 'severity';
OUTCOME : 'outcome';
LEVEL : 'level';
OTHERWISE : 'otherwise';
QUALIFYING : 'qualifying';
TABLE : 'table';
ROWS : 'rows';
COLUMNS : 'columns';
TEST : 'test';
VARIANT : 'variant';
GIVEN : 'given';
EXPECT : 'expect';
NO : 'no';
MESSAGES : 'messages';
INSUFFICIENT : 'insufficient';
IF : 'if';
THEN : 'then';
ELSE : 'else';
AND : 'and';
OR : 'or';
NOT : 'not';
KATSU : 'かつ';
MATAHA : 'または';
AT : 'at';
LEAST : 'least';
ANY : 'any';
ALL : 'all';
CASES : 'cases';
LOOKUP : 'lookup';
IN : 'in';
TRUE : 'true';
FALSE : 'false';
GAITO : '該当';
HIGAITO : '非該当';
FUMEI : '不明';
ARI : 'あり';
NASHI : 'なし';

DATE : DIGIT DIGIT DIGIT DIGIT '-' DIGIT DIGIT '-' DIGIT DIGIT;
YEARMONTH : DIGIT DIGIT DIGIT DIGIT '-' DIGIT DIGIT;
DECIMAL_LIT : DIGIT+ '.' DIGIT+;
INT : DIGIT+;
// Item codes as printed on the forms: A-1, B-12, C-3-2. Subtraction needs spaces.
CODE : LETTER+ ('-' DIGIT+)+;
IDENT : (LETTER | OTHER_NUMBER) (LETTER | DIGIT | OTHER_NUMBER | '_' | '・')*;
STRING : '"' (~["\\\r\n] | '\\' ["\\n])* '"';

COMMENT : '#' ~[\r\n]* -> channel(HIDDEN);
WS : [ \t\r\n\u3000]+ -> skip;
// Anything else is one bad character; the parser reports it with its position.
BAD_CHAR : .;

fragment DIGIT : [0-9];
fragment LETTER : [\p{L}_];
// Circled and other non-decimal numbers (①, ③, Ⅱ) as used in the notices.
fragment OTHER_NUMBER : [\p{No}\p{Nl}];
