/**
 * This file was generated from docs/openapi.json by `npm run gen:types` (openapi-typescript).
 * Do not make direct changes to the file.
 */

export interface paths {
    "/api/v1/auth/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Log in with the code from `wx.login()`.
         * @description Creates the reader on first login. Sending the same code twice within its life (a double
         *     tap) gives both requests a session.
         */
        post: operations["login"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** End this login (or every login with `all_devices`); its tokens stop working at once. */
        post: operations["logout"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/refresh": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Exchange a refresh token for a new pair (the old refresh token is spent).
         * @description Presenting a spent token again revokes the whole login (`refresh_token_reused`), except
         *     within a short grace window in which parallel refreshes get the same new pair.
         */
        post: operations["refresh"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/wechat-web/authorize": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Start the WeChat web login: a 302 to WeChat's consent page with a signed `state`. */
        get: operations["web_authorize"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/wechat-web/callback": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Finish the WeChat web login: same body as `/auth/login`. A WeChat account that already
         *     logged in through the mini-program is the same reader (linked by unionid).
         */
        get: operations["web_callback"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/bookshelf": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The bookshelf, most recently read or added first. */
        get: operations["shelf"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/bookshelf/last-read": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The "continue reading" button: the most recent reading, or 204 when there is none. */
        get: operations["last_read"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/bookshelf/remove": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Take several novels off the shelf; ids not on the shelf are ignored. */
        post: operations["remove_many"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/bookshelf/{novel_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Put a novel on the shelf: 201 when added, 200 when it was already there. */
        put: operations["add_to_shelf"];
        post?: never;
        /** Take a novel off the shelf. */
        delete: operations["remove_from_shelf"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/categories": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Two levels of categories with novel counts. */
        get: operations["categories"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/history": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Browse history: one row per novel, newest first. */
        get: operations["history"];
        put?: never;
        post?: never;
        /** Clear the whole history. */
        delete: operations["clear_history"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/history/{novel_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Remove one novel from the history. */
        delete: operations["forget"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The reader, with preferences and reader settings. */
        get: operations["get_me"];
        put?: never;
        post?: never;
        /** Delete the account and everything stored about the reader. */
        delete: operations["delete_me"];
        options?: never;
        head?: never;
        /** Set nickname and/or avatar (the mini-program's avatar/nickname fill-in). */
        patch: operations["patch_me"];
        trace?: never;
    };
    "/api/v1/me/phone": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Bind the phone number from the getPhoneNumber button's code. */
        post: operations["phone"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/me/preferences": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** 阅读偏好: the preferred channel and favourite categories. */
        get: operations["get_preferences"];
        /** Replace the preferences. Unknown category ids or channel are a 422. */
        put: operations["put_preferences"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/me/reader-settings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** 阅读设置, with defaults for a new reader. */
        get: operations["get_reader_settings"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Change some reader settings; fields not sent keep their value. */
        patch: operations["patch_reader_settings"];
        trace?: never;
    };
    "/api/v1/me/wechat-profile": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Legacy `wx.getUserInfo` data, decrypted with the reader's WeChat session.
         * @description The data must carry our app id in its watermark; `signature` (with `raw_data`) is checked
         *     when given.
         */
        post: operations["wechat_profile"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/novels": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Novels, filtered and sorted, a page at a time. */
        get: operations["novels"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/novels/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A novel; with a token also `on_shelf` and `progress`, and the view goes to the reader's
         *     history.
         */
        get: operations["novel"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/novels/{id}/chapters": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The table of contents, a page at a time. */
        get: operations["chapters"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/novels/{id}/chapters/{chapter_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A chapter's text with the previous and next chapter ids. Cacheable: `ETag` and
         *     `Cache-Control`; `If-None-Match` gives 304.
         */
        get: operations["chapter"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/novels/{id}/recommendations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Novels like this one: same top-level category, hottest first, never itself; filled up
         *     from the global hot list.
         */
        get: operations["recommendations"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/progress/batch": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Offline reading: up to 100 progress writes at once.
         * @description Each item is validated and applied on its own (newer `client_time` wins, as with PUT).
         *     The response has one entry per item, in request order: the stored `Progress`, or for a
         *     rejected item `{index, novel_id, error: {code, message, details?}}` — a bad item never
         *     drops the good ones.
         */
        post: operations["batch_progress"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/progress/{novel_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Where the reader is in a novel. */
        get: operations["get_progress"];
        /**
         * Record where the reader is. The newer `client_time` wins: an older write (e.g. from a
         *     device that was offline) returns the stored progress unchanged.
         */
        put: operations["put_progress"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/rankings/{kind}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Rankings: `hot`, `collect`, `latest` or `finished`. */
        get: operations["rankings"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/search": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Ranked search: exact title/author, then title prefix, title contains, author contains,
         *     pinyin (full or initials, every reading of a polyphonic character), and — only when those
         *     found fewer than 20 — partial matches (most shared character bigrams first); ties by heat.
         *     Traditional characters, full-width letters and invisible characters are normalised first.
         *     `total` is exact: every match is counted, partial ones included. Page 1 of a search that
         *     found something counts toward the hot keywords (once per reader or address per day).
         */
        get: operations["search"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/search/hot": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The most searched keywords: page-1 searches that found something, once per reader (or
         *     address) per keyword per day. Counts reach the list within a few seconds (they are written
         *     in batches); words on the operator's blocklist and text without a letter or digit never
         *     appear.
         */
        get: operations["hot"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/search/overview": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The single-screen result of the original app: the exact hit, up to 5 close matches (partial
         *     ones when the others are few), and hot recommendations from the best hit's category (or
         *     overall when nothing matched).
         */
        get: operations["overview"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/search/suggestions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Completions as the reader types: titles and authors by prefix or pinyin prefix, and hot
         *     keywords.
         */
        get: operations["suggestions"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** 200 while the process runs. */
        get: operations["healthz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** 200 when the database answers, 503 otherwise (and while draining after SIGTERM). */
        get: operations["readyz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /**
         * @description Reading-screen background.
         * @enum {string}
         */
        Background: "white" | "parchment" | "green" | "blue" | "pink" | "night";
        /** @description One item of a batch: the PUT body plus `novel_id`. */
        BatchItem: components["schemas"]["ProgressRequest"] & {
            /**
             * Format: int64
             * @example 12
             */
            novel_id: number;
        };
        /** @description A batch item that was not applied; the others were. */
        BatchItemError: {
            error: components["schemas"]["ErrorBody"];
            /** @description Position of the item in the request. */
            index: number;
            /** Format: int64 */
            novel_id: number | null;
        };
        BatchRequest: {
            /** @description 1..=100 items, each validated on its own. */
            items: components["schemas"]["BatchItem"][];
        };
        /** @description Per item, in request order: the stored `Progress`, or why the item was rejected. */
        BatchResult: components["schemas"]["Progress"] | components["schemas"]["BatchItemError"];
        Category: {
            channel: components["schemas"]["Channel"];
            /** @example https://img.example.com/icons/classics.png */
            icon_url: string;
            /**
             * Format: int64
             * @example 3
             */
            id: number;
            /** @example 古典名著 */
            name: string;
            /**
             * Format: int64
             * @example 9
             */
            novel_count: number;
            subcategories: components["schemas"]["SubCategory"][];
        };
        CategoryRefBody: {
            /**
             * Format: int64
             * @example 3
             */
            id: number;
            /** @example 古典名著 */
            name: string;
        };
        /**
         * @description The reading channel (频道): novels for male or female readers.
         * @enum {string}
         */
        Channel: "male" | "female";
        Chapter: {
            /**
             * Format: int64
             * @example 345
             */
            id: number;
            /**
             * Format: int32
             * @description 1-based reading order.
             * @example 1
             */
            index: number;
            /**
             * Format: int64
             * @example 12
             */
            novel_id: number;
            /** @example 第一回 灵根育孕源流出 心性修持大道生 */
            title: string;
            updated_at: components["schemas"]["Timestamp"];
            /**
             * Format: int32
             * @example 3200
             */
            word_count: number;
        };
        /** @description A chapter with its text; with a token also the reader's `progress`. */
        ChapterContent: components["schemas"]["Chapter"] & {
            /** @example 诗曰：混沌未分天地乱，茫茫渺渺无人见。自从盘古破鸿蒙，开辟从兹清浊辨…… */
            content: string;
            /**
             * Format: int64
             * @example 346
             */
            next_chapter_id: number | null;
            /** Format: int64 */
            prev_chapter_id: number | null;
            progress?: null | components["schemas"]["Progress"];
        };
        ChapterPage: {
            items: components["schemas"]["Chapter"][];
            /**
             * Format: int64
             * @description 1-based page number.
             * @example 1
             */
            page: number;
            /**
             * Format: int64
             * @example 20
             */
            per_page: number;
            /**
             * Format: int64
             * @description Items on all pages.
             * @example 123
             */
            total: number;
            /**
             * Format: int64
             * @description `ceil(total / per_page)`; 0 when there are no items.
             * @example 7
             */
            total_pages: number;
        };
        /**
         * @description The body of every error response.
         * @example {
         *       "code": "validation_failed",
         *       "details": {
         *         "per_page": [
         *           "must be between 1 and 100"
         *         ]
         *       },
         *       "message": "the request has invalid fields"
         *     }
         */
        ErrorBody: {
            code: components["schemas"]["ErrorCode"];
            /**
             * @description Only with `validation_failed` (and not always there): field name → messages. Nested
             *     fields are dotted (`items[0].offset`); `body` is a body that does not fit its schema.
             */
            details?: {
                [key: string]: string[];
            };
            /** @description Human readable, safe to show to the reader. */
            message: string;
        };
        /**
         * @description Stable machine-readable error code. Each code has one HTTP status:
         *
         *     | code | status | what the client does |
         *     |---|---|---|
         *     | `bad_request` | 400 | fix the request: malformed JSON, wrong content type, unparsable path or query |
         *     | `missing_token` | 401 | send `Authorization: Bearer <access_token>` |
         *     | `invalid_token` | 401 | the token is forged, revoked or its login ended: log in again |
         *     | `token_expired` | 401 | refresh with `/auth/refresh`, then retry |
         *     | `refresh_token_invalid` | 401 | unknown, expired or logged-out refresh token: log in again |
         *     | `refresh_token_reused` | 401 | a spent refresh token came back: the whole login is revoked, log in again |
         *     | `state_invalid` | 401 | the web-login `state` is forged, expired or used: start the web login again |
         *     | `wechat_code_invalid` | 401 | WeChat refused the code (invalid, used or expired): get a new one |
         *     | `wechat_user_blocked` | 403 | WeChat flagged the account as high-risk |
         *     | `not_found` | 404 | no such resource, or not the caller's |
         *     | `method_not_allowed` | 405 | the path exists with other methods |
         *     | `request_timeout` | 408 | the server gave up on the request: retry |
         *     | `conflict` | 409 | a concurrent change won, or a row it refers to was deleted meanwhile: retry |
         *     | `payload_too_large` | 413 | the body is over the limit |
         *     | `validation_failed` | 422 | well-formed but invalid input; `details` names each field |
         *     | `rate_limited` | 429 | too many requests: wait `Retry-After` seconds |
         *     | `internal` | 500 | a bug; the message never carries internals |
         *     | `wechat_unavailable` | 502 | WeChat failed or timed out: retry later |
         *     | `unavailable` | 503 | the database or another dependency is down: retry after `Retry-After` |
         * @example validation_failed
         * @enum {string}
         */
        ErrorCode: "bad_request" | "missing_token" | "invalid_token" | "token_expired" | "refresh_token_invalid" | "refresh_token_reused" | "state_invalid" | "wechat_code_invalid" | "wechat_user_blocked" | "not_found" | "method_not_allowed" | "request_timeout" | "conflict" | "payload_too_large" | "validation_failed" | "rate_limited" | "internal" | "wechat_unavailable" | "unavailable";
        Health: {
            status: components["schemas"]["HealthStatus"];
        };
        /**
         * @description Always `ok`.
         * @enum {string}
         */
        HealthStatus: "ok";
        HistoryItem: {
            novel: components["schemas"]["NovelSummary"];
            progress: null | components["schemas"]["Progress"];
            viewed_at: components["schemas"]["Timestamp"];
        };
        HistoryPage: {
            items: components["schemas"]["HistoryItem"][];
            /**
             * Format: int64
             * @description 1-based page number.
             * @example 1
             */
            page: number;
            /**
             * Format: int64
             * @example 20
             */
            per_page: number;
            /**
             * Format: int64
             * @description Items on all pages.
             * @example 123
             */
            total: number;
            /**
             * Format: int64
             * @description `ceil(total / per_page)`; 0 when there are no items.
             * @example 7
             */
            total_pages: number;
        };
        HotKeyword: {
            /**
             * Format: int64
             * @example 42
             */
            count: number;
            /** @example 西游记 */
            keyword: string;
        };
        LastRead: {
            novel: components["schemas"]["NovelSummary"];
            progress: components["schemas"]["Progress"];
        };
        LoginRequest: {
            /**
             * @description The code from `wx.login()`. With the development WeChat emulator any
             *     `<reader>.<anything>` logs in `<reader>`, e.g. `alice.1`.
             * @example alice.1
             */
            code: string;
        };
        /** @description Tokens at the top level, plus the reader. */
        LoginResponse: components["schemas"]["TokensBody"] & {
            is_new_user: boolean;
            user: components["schemas"]["User"];
        };
        LogoutRequest: {
            /** @description End every login of this reader. */
            all_devices?: boolean;
            /** @description Also end the login this refresh token belongs to. */
            refresh_token?: string | null;
        };
        /** @description `User` plus the reader's preferences and reader settings. */
        Me: components["schemas"]["User"] & {
            preferences: components["schemas"]["PreferencesBody"];
            reader_settings: components["schemas"]["ReaderSettingsBody"];
        };
        /**
         * @description `NovelSummary` with the full intro, the latest and first chapter; with a token also
         *     `on_shelf` and `progress`.
         */
        NovelDetail: components["schemas"]["NovelSummary"] & {
            /**
             * Format: int64
             * @example 345
             */
            first_chapter_id: number | null;
            latest_chapter: null | components["schemas"]["Chapter"];
            on_shelf?: boolean | null;
            progress?: null | components["schemas"]["Progress"];
        };
        NovelPage: {
            items: components["schemas"]["NovelSummary"][];
            /**
             * Format: int64
             * @description 1-based page number.
             * @example 1
             */
            page: number;
            /**
             * Format: int64
             * @example 20
             */
            per_page: number;
            /**
             * Format: int64
             * @description Items on all pages.
             * @example 123
             */
            total: number;
            /**
             * Format: int64
             * @description `ceil(total / per_page)`; 0 when there are no items.
             * @example 7
             */
            total_pages: number;
        };
        /**
         * @description Novel list order: `hot` (heat), `collect` (collections), `latest` (last update) or
         *     `words` (length); all descending.
         * @enum {string}
         */
        NovelSort: "hot" | "collect" | "latest" | "words";
        /**
         * @description `serial` (连载, still being written) or `finished` (完结).
         * @enum {string}
         */
        NovelStatus: "serial" | "finished";
        /** @description A novel in lists. */
        NovelSummary: {
            /** @example 吴承恩 */
            author: string;
            category: components["schemas"]["CategoryRefBody"];
            channel: components["schemas"]["Channel"];
            /**
             * Format: int32
             * @example 100
             */
            chapter_count: number;
            /**
             * Format: int64
             * @example 300
             */
            collect_count: number;
            /** @example https://img.example.com/covers/xiyouji.jpg */
            cover_url: string;
            /**
             * Format: int64
             * @example 1200
             */
            heat: number;
            /**
             * Format: int64
             * @example 12
             */
            id: number;
            /**
             * @description Short intro (the detail has the full text).
             * @example 东胜神洲傲来国花果山上，一块仙石孕育出一只石猴……
             */
            intro: string;
            status: components["schemas"]["NovelStatus"];
            /** @example 西游记 */
            title: string;
            updated_at: components["schemas"]["Timestamp"];
            /**
             * Format: int64
             * @description Characters in all chapters.
             * @example 820000
             */
            word_count: number;
        };
        /**
         * @description Page-turn animation.
         * @enum {string}
         */
        PageTurn: "simulation" | "slide" | "scroll" | "none";
        PatchMe: {
            /** @example https://img.example.com/avatars/xiaoming.png */
            avatar_url?: string | null;
            /** @example 小明 */
            nickname?: string | null;
        };
        PhoneRequest: {
            /**
             * @description The code from the getPhoneNumber button.
             * @example alice.phone
             */
            code: string;
        };
        PhoneResponse: {
            /** @example 86 */
            country_code: string;
            /** @example 13800138000 */
            phone_number: string;
        };
        PreferencesBody: {
            /**
             * @example [
             *       3,
             *       7
             *     ]
             */
            category_ids: number[];
            channel: null | components["schemas"]["Channel"];
        };
        PreferencesRequest: {
            /**
             * @description Favourite categories (at most 50); unknown ids are a 422.
             * @example [
             *       3,
             *       7
             *     ]
             */
            category_ids?: number[];
            channel?: null | components["schemas"]["Channel"];
        };
        /** @description Where the reader is in a novel. */
        Progress: {
            /**
             * Format: int64
             * @example 345
             */
            chapter_id: number;
            /**
             * Format: int32
             * @example 1
             */
            chapter_index: number;
            /** @example 第一回 灵根育孕源流出 心性修持大道生 */
            chapter_title: string;
            /**
             * Format: int64
             * @example 12
             */
            novel_id: number;
            /**
             * Format: int32
             * @description Characters into the chapter.
             * @example 1200
             */
            offset: number;
            /**
             * Format: double
             * @description 0..=100, of the whole novel.
             * @example 0.4
             */
            percent: number;
            updated_at: components["schemas"]["Timestamp"];
        };
        /** @description A progress write from a device. */
        ProgressRequest: {
            /**
             * Format: int64
             * @example 345
             */
            chapter_id: number;
            /**
             * Format: date-time
             * @description When the device recorded it (RFC 3339); the newer write wins. Before
             *     2020-01-01T00:00:00Z → 422 (a reset device clock); more than 5 minutes ahead of the
             *     server → taken as the server's time (a clock running ahead must not win forever).
             * @example 2026-11-22T03:00:00.000Z
             */
            client_time: string;
            /**
             * Format: int32
             * @description Characters into the chapter.
             * @example 1200
             */
            offset: number;
            /**
             * Format: double
             * @description 0..=100, of the whole novel.
             * @example 0.4
             */
            percent: number;
        };
        /**
         * @description A ranking: `hot` (heat), `collect` (collections), `latest` (recently updated) or
         *     `finished` (finished novels by heat).
         * @enum {string}
         */
        RankingKind: "hot" | "collect" | "latest" | "finished";
        ReaderSettingsBody: {
            background: components["schemas"]["Background"];
            /**
             * Format: int32
             * @example 80
             */
            brightness: number;
            /**
             * Format: int32
             * @example 18
             */
            font_size: number;
            /**
             * Format: double
             * @example 1.5
             */
            line_spacing: number;
            page_turn: components["schemas"]["PageTurn"];
        };
        ReaderSettingsPatch: {
            background?: null | components["schemas"]["Background"];
            /** Format: int32 */
            brightness?: number | null;
            /**
             * Format: int32
             * @example 20
             */
            font_size?: number | null;
            /** Format: double */
            line_spacing?: number | null;
            page_turn?: null | components["schemas"]["PageTurn"];
        };
        Readiness: {
            /**
             * @description The database backend: `sqlite` or `mysql`.
             * @example mysql
             */
            database: string;
            status: components["schemas"]["ReadyStatus"];
        };
        /**
         * @description Always `ready` (not ready is a 503).
         * @enum {string}
         */
        ReadyStatus: "ready";
        RefreshRequest: {
            /** @example rt_Jd9kQ2mVx7LpR4tYw8ZbN1cF6hS3aE5uG0oI2qWkM7 */
            refresh_token: string;
        };
        RemoveRequest: {
            /**
             * @description 1..=100 novel ids.
             * @example [
             *       12,
             *       15
             *     ]
             */
            novel_ids: number[];
        };
        Removed: {
            /** Format: int64 */
            removed: number;
        };
        /** @description A search result: the novel and why it matched. */
        SearchItem: components["schemas"]["NovelSummary"] & {
            /**
             * @description `exact`, `title`, `author`, `pinyin` or `partial` (shares part of the query; only after
             *     every other kind, and only when those are fewer than 20).
             */
            match: components["schemas"]["SearchMatch"];
        };
        /**
         * @description Why a search result matched, best first: `exact` title or author, `title` (prefix or
         *     contains), `author` (contains), `pinyin` (full or initials), `partial` (most of the
         *     query's character pairs).
         * @enum {string}
         */
        SearchMatch: "exact" | "title" | "author" | "pinyin" | "partial";
        SearchOverview: {
            exact: null | components["schemas"]["NovelSummary"];
            /** @description Up to 5 other matches (partial ones when the others are few). */
            matches: components["schemas"]["NovelSummary"][];
            /** @description Up to 4 hot novels from the best hit's category (or overall). */
            recommendations: components["schemas"]["NovelSummary"][];
        };
        SearchPage: {
            items: components["schemas"]["SearchItem"][];
            /**
             * Format: int64
             * @description 1-based page number.
             * @example 1
             */
            page: number;
            /**
             * Format: int64
             * @example 20
             */
            per_page: number;
            /**
             * Format: int64
             * @description Items on all pages.
             * @example 123
             */
            total: number;
            /**
             * Format: int64
             * @description `ceil(total / per_page)`; 0 when there are no items.
             * @example 7
             */
            total_pages: number;
        };
        ShelfEntry: {
            /**
             * Format: int64
             * @example 12
             */
            novel_id: number;
            on_shelf: boolean;
        };
        ShelfItem: {
            added_at: components["schemas"]["Timestamp"];
            /** @description A chapter appeared since the reader last opened the novel. */
            has_update: boolean;
            last_read: null | components["schemas"]["Progress"];
            novel: components["schemas"]["NovelSummary"];
            /**
             * Format: int32
             * @description Chapters after the last-read one.
             * @example 3
             */
            unread_chapters: number;
        };
        ShelfPage: {
            items: components["schemas"]["ShelfItem"][];
            /**
             * Format: int64
             * @description 1-based page number.
             * @example 1
             */
            page: number;
            /**
             * Format: int64
             * @example 20
             */
            per_page: number;
            /**
             * Format: int64
             * @description Items on all pages.
             * @example 123
             */
            total: number;
            /**
             * Format: int64
             * @description `ceil(total / per_page)`; 0 when there are no items.
             * @example 7
             */
            total_pages: number;
        };
        /**
         * @description Chapter order: `asc` (reading order) or `desc` (newest first).
         * @enum {string}
         */
        SortOrder: "asc" | "desc";
        SubCategory: {
            /** Format: int64 */
            id: number;
            /** @example 神魔 */
            name: string;
            /**
             * Format: int64
             * @example 4
             */
            novel_count: number;
        };
        Suggestion: {
            is_hot: boolean;
            /** @example 斗破苍穹 */
            keyword: string;
        };
        /**
         * Format: date-time
         * @description RFC 3339 in UTC, with milliseconds
         * @example 2026-11-22T03:00:00.000Z
         */
        Timestamp: string;
        /**
         * @description Always `Bearer`.
         * @enum {string}
         */
        TokenType: "Bearer";
        /** @description A token pair. */
        TokensBody: {
            /**
             * @description JWT for `Authorization: Bearer`.
             * @example eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl
             */
            access_token: string;
            /**
             * Format: int64
             * @description Seconds until the access token expires.
             * @example 1800
             */
            expires_in: number;
            /**
             * Format: int64
             * @description Seconds until this login must be renewed with WeChat.
             * @example 2592000
             */
            refresh_expires_in: number;
            /**
             * @description Opaque; single use: every refresh returns a new one.
             * @example rt_Jd9kQ2mVx7LpR4tYw8ZbN1cF6hS3aE5uG0oI2qWkM7
             */
            refresh_token: string;
            token_type: components["schemas"]["TokenType"];
        };
        /** @description A reader. Never contains `openid`, `unionid` or `session_key`. */
        User: {
            /** @example https://img.example.com/avatars/xiaoming.png */
            avatar_url: string;
            channel: null | components["schemas"]["Channel"];
            created_at: components["schemas"]["Timestamp"];
            has_phone: boolean;
            /**
             * Format: int64
             * @example 1
             */
            id: number;
            /** @example 小明 */
            nickname: string;
        };
        /**
         * @description WeChat web-login scope: `snsapi_base` (silent, openid only) or `snsapi_userinfo`
         *     (asks the reader, gives nickname and avatar).
         * @enum {string}
         */
        WebScope: "snsapi_base" | "snsapi_userinfo";
        WechatProfileRequest: {
            encrypted_data: string;
            iv: string;
            raw_data?: string | null;
            signature?: string | null;
        };
        /**
         * @description Length filter: under 500,000 characters, 500,000 to 1,000,000, over 1,000,000.
         * @enum {string}
         */
        WordsBucket: "lt_500k" | "500k_1m" | "gt_1m";
    };
    responses: {
        /** @description Unparsable request (`bad_request`): malformed JSON, a body without `Content-Type: application/json`, a path or query parameter of the wrong type, or a missing required query parameter */
        BadRequest: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"];
            };
        };
        /** @description WeChat flagged the account as high-risk (`wechat_user_blocked`) */
        Blocked: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"];
            };
        };
        /** @description The `state` is forged, expired or already used (`state_invalid`), or WeChat refused the code (`wechat_code_invalid`); start the web login again */
        CallbackRejected: {
            headers: {
                /** @description `Bearer` */
                "WWW-Authenticate"?: string;
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"];
            };
        };
        /** @description A concurrent change won (`conflict`); retrying succeeds */
        Conflict: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"];
            };
        };
        /** @description Well-formed but invalid input (`validation_failed`): `details` maps each field to its messages. Unknown enum values, out-of-range numbers and pages, strings of the wrong length. A body that does not fit the schema (missing field, wrong type) is reported under `body` */
        Invalid: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"];
            };
        };
        /** @description WeChat refused the code: invalid, already used or expired (`wechat_code_invalid`); call `wx.login()` for a new one */
        LoginRejected: {
            headers: {
                /** @description `Bearer` */
                "WWW-Authenticate"?: string;
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"];
            };
        };
        /** @description No such resource, or not the caller's (`not_found`) */
        NotFound: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"];
            };
        };
        /** @description The body is over `BODY_LIMIT_BYTES` (256 KiB by default) (`payload_too_large`) */
        PayloadTooLarge: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"];
            };
        };
        /** @description Not authenticated (`missing_token`, `invalid_token`, `token_expired`), or WeChat refused the phone code (`wechat_code_invalid`) */
        PhoneRejected: {
            headers: {
                /** @description `Bearer` */
                "WWW-Authenticate"?: string;
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"];
            };
        };
        /** @description Too many requests from this client address, or WeChat's own limit (`rate_limited`); wait `Retry-After` seconds */
        RateLimited: {
            headers: {
                /** @description Seconds to wait before retrying */
                "Retry-After"?: number;
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"];
            };
        };
        /** @description The refresh token is unknown, expired or logged out (`refresh_token_invalid`), or was already spent (`refresh_token_reused`: the whole login is revoked); log in again */
        RefreshRejected: {
            headers: {
                /** @description `Bearer` */
                "WWW-Authenticate"?: string;
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"];
            };
        };
        /** @description A token was sent and is invalid (`invalid_token`) or expired (`token_expired`); without an `Authorization` header the request is answered anonymously */
        TokenRejected: {
            headers: {
                /** @description `Bearer` */
                "WWW-Authenticate"?: string;
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"];
            };
        };
        /** @description Not authenticated: no token (`missing_token`), a forged, revoked or logged-out token (`invalid_token`: log in again) or an expired one (`token_expired`: refresh and retry) */
        Unauthorized: {
            headers: {
                /** @description `Bearer` */
                "WWW-Authenticate"?: string;
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"];
            };
        };
        /** @description The database (or another dependency) is down (`unavailable`); retry after `Retry-After` seconds */
        Unavailable: {
            headers: {
                /** @description Seconds to wait before retrying */
                "Retry-After"?: number;
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"];
            };
        };
        /** @description WeChat failed, timed out or answered garbage (`wechat_unavailable`); retry later */
        WechatUnavailable: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"];
            };
        };
    };
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    login: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["LoginRequest"];
            };
        };
        responses: {
            /** @description Logged in */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LoginResponse"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["LoginRejected"];
            403: components["responses"]["Blocked"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            422: components["responses"]["Invalid"];
            429: components["responses"]["RateLimited"];
            502: components["responses"]["WechatUnavailable"];
            503: components["responses"]["Unavailable"];
        };
    };
    logout: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** @description Optional: without a body only this login ends */
        requestBody?: {
            content: {
                "application/json": components["schemas"]["LogoutRequest"];
            };
        };
        responses: {
            /** @description Logged out */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            413: components["responses"]["PayloadTooLarge"];
            422: components["responses"]["Invalid"];
            503: components["responses"]["Unavailable"];
        };
    };
    refresh: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RefreshRequest"];
            };
        };
        responses: {
            /** @description New tokens */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokensBody"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["RefreshRejected"];
            413: components["responses"]["PayloadTooLarge"];
            422: components["responses"]["Invalid"];
            429: components["responses"]["RateLimited"];
            503: components["responses"]["Unavailable"];
        };
    };
    web_authorize: {
        parameters: {
            query: {
                /** @description Where WeChat sends the browser back; must be on `WECHAT_WEB_REDIRECT_URIS`. */
                redirect_uri: string;
                /** @description Default `snsapi_base`. */
                scope?: components["schemas"]["WebScope"];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Redirect to open.weixin.qq.com */
            302: {
                headers: {
                    /** @description WeChat's consent page */
                    Location?: string;
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["BadRequest"];
            422: components["responses"]["Invalid"];
        };
    };
    web_callback: {
        parameters: {
            query: {
                code: string;
                state: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Logged in */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LoginResponse"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["CallbackRejected"];
            403: components["responses"]["Blocked"];
            409: components["responses"]["Conflict"];
            422: components["responses"]["Invalid"];
            429: components["responses"]["RateLimited"];
            502: components["responses"]["WechatUnavailable"];
            503: components["responses"]["Unavailable"];
        };
    };
    shelf: {
        parameters: {
            query?: {
                /** @description 1-based page number. */
                page?: number;
                /** @description Items per page. */
                per_page?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ShelfPage"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            422: components["responses"]["Invalid"];
            503: components["responses"]["Unavailable"];
        };
    };
    last_read: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LastRead"];
                };
            };
            /** @description Nothing read yet */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: components["responses"]["Unauthorized"];
            503: components["responses"]["Unavailable"];
        };
    };
    remove_many: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RemoveRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Removed"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            413: components["responses"]["PayloadTooLarge"];
            422: components["responses"]["Invalid"];
            503: components["responses"]["Unavailable"];
        };
    };
    add_to_shelf: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                novel_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Already on the shelf */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ShelfEntry"];
                };
            };
            /** @description Added */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ShelfEntry"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            503: components["responses"]["Unavailable"];
        };
    };
    remove_from_shelf: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                novel_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Removed */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            503: components["responses"]["Unavailable"];
        };
    };
    categories: {
        parameters: {
            query?: {
                /** @description Without it: the logged-in reader's preferred channel, else both. */
                channel?: components["schemas"]["Channel"];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Category"][];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["TokenRejected"];
            422: components["responses"]["Invalid"];
            503: components["responses"]["Unavailable"];
        };
    };
    history: {
        parameters: {
            query?: {
                /** @description 1-based page number. */
                page?: number;
                /** @description Items per page. */
                per_page?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HistoryPage"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            422: components["responses"]["Invalid"];
            503: components["responses"]["Unavailable"];
        };
    };
    clear_history: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Cleared */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: components["responses"]["Unauthorized"];
            503: components["responses"]["Unavailable"];
        };
    };
    forget: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                novel_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Removed */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            503: components["responses"]["Unavailable"];
        };
    };
    get_me: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Me"];
                };
            };
            401: components["responses"]["Unauthorized"];
            503: components["responses"]["Unavailable"];
        };
    };
    delete_me: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: components["responses"]["Unauthorized"];
            503: components["responses"]["Unavailable"];
        };
    };
    patch_me: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PatchMe"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            413: components["responses"]["PayloadTooLarge"];
            422: components["responses"]["Invalid"];
            503: components["responses"]["Unavailable"];
        };
    };
    phone: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PhoneRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PhoneResponse"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["PhoneRejected"];
            413: components["responses"]["PayloadTooLarge"];
            422: components["responses"]["Invalid"];
            429: components["responses"]["RateLimited"];
            502: components["responses"]["WechatUnavailable"];
            503: components["responses"]["Unavailable"];
        };
    };
    get_preferences: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PreferencesBody"];
                };
            };
            401: components["responses"]["Unauthorized"];
            503: components["responses"]["Unavailable"];
        };
    };
    put_preferences: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PreferencesRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PreferencesBody"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            413: components["responses"]["PayloadTooLarge"];
            422: components["responses"]["Invalid"];
            503: components["responses"]["Unavailable"];
        };
    };
    get_reader_settings: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ReaderSettingsBody"];
                };
            };
            401: components["responses"]["Unauthorized"];
            503: components["responses"]["Unavailable"];
        };
    };
    patch_reader_settings: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ReaderSettingsPatch"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ReaderSettingsBody"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            413: components["responses"]["PayloadTooLarge"];
            422: components["responses"]["Invalid"];
            503: components["responses"]["Unavailable"];
        };
    };
    wechat_profile: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WechatProfileRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            413: components["responses"]["PayloadTooLarge"];
            422: components["responses"]["Invalid"];
            503: components["responses"]["Unavailable"];
        };
    };
    novels: {
        parameters: {
            query?: {
                /** @description A top-level category or a subcategory. */
                category_id?: number;
                channel?: components["schemas"]["Channel"];
                status?: components["schemas"]["NovelStatus"];
                words?: components["schemas"]["WordsBucket"];
                /** @description Default `hot`. */
                sort?: components["schemas"]["NovelSort"];
                page?: number;
                per_page?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["NovelPage"];
                };
            };
            400: components["responses"]["BadRequest"];
            422: components["responses"]["Invalid"];
            503: components["responses"]["Unavailable"];
        };
    };
    novel: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["NovelDetail"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["TokenRejected"];
            404: components["responses"]["NotFound"];
            503: components["responses"]["Unavailable"];
        };
    };
    chapters: {
        parameters: {
            query?: {
                page?: number;
                per_page?: number;
                /** @description Default `asc`. */
                order?: components["schemas"]["SortOrder"];
            };
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ChapterPage"];
                };
            };
            400: components["responses"]["BadRequest"];
            404: components["responses"]["NotFound"];
            422: components["responses"]["Invalid"];
            503: components["responses"]["Unavailable"];
        };
    };
    chapter: {
        parameters: {
            query?: never;
            header?: {
                /** @description An `ETag` from an earlier answer */
                "If-None-Match"?: string | null;
            };
            path: {
                id: number;
                chapter_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    /** @description `public, max-age=300` anonymously, `private, no-cache` with a token */
                    "Cache-Control"?: string;
                    ETag?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ChapterContent"];
                };
            };
            /** @description Not modified (`If-None-Match` matched) */
            304: {
                headers: {
                    "Cache-Control"?: string;
                    ETag?: string;
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["TokenRejected"];
            404: components["responses"]["NotFound"];
            503: components["responses"]["Unavailable"];
        };
    };
    recommendations: {
        parameters: {
            query?: {
                /** @description Default 4 */
                limit?: number;
            };
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["NovelSummary"][];
                };
            };
            400: components["responses"]["BadRequest"];
            404: components["responses"]["NotFound"];
            422: components["responses"]["Invalid"];
            503: components["responses"]["Unavailable"];
        };
    };
    batch_progress: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["BatchRequest"];
            };
        };
        responses: {
            /** @description One result per item, in order */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BatchResult"][];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            413: components["responses"]["PayloadTooLarge"];
            422: components["responses"]["Invalid"];
            503: components["responses"]["Unavailable"];
        };
    };
    get_progress: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                novel_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Progress"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            503: components["responses"]["Unavailable"];
        };
    };
    put_progress: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                novel_id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ProgressRequest"];
            };
        };
        responses: {
            /** @description The stored progress */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Progress"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            413: components["responses"]["PayloadTooLarge"];
            422: components["responses"]["Invalid"];
            503: components["responses"]["Unavailable"];
        };
    };
    rankings: {
        parameters: {
            query?: {
                /** @description How many; default 10. */
                limit?: number;
                /** @description Rankings only. */
                channel?: components["schemas"]["Channel"];
            };
            header?: never;
            path: {
                kind: components["schemas"]["RankingKind"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["NovelSummary"][];
                };
            };
            400: components["responses"]["BadRequest"];
            422: components["responses"]["Invalid"];
            503: components["responses"]["Unavailable"];
        };
    };
    search: {
        parameters: {
            query?: {
                /**
                 * @description Title, author, or pinyin (`doupo`, `dpcq`); 1..=64 characters. `%`, `_` and `\` are
                 *     literal.
                 * @example 西游
                 */
                q?: string;
                page?: number;
                per_page?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SearchPage"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["TokenRejected"];
            422: components["responses"]["Invalid"];
            503: components["responses"]["Unavailable"];
        };
    };
    hot: {
        parameters: {
            query?: {
                /** @description Default 10. */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HotKeyword"][];
                };
            };
            400: components["responses"]["BadRequest"];
            422: components["responses"]["Invalid"];
            503: components["responses"]["Unavailable"];
        };
    };
    overview: {
        parameters: {
            query?: {
                /**
                 * @description 1..=64 characters after normalisation.
                 * @example 西游
                 */
                q?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SearchOverview"];
                };
            };
            400: components["responses"]["BadRequest"];
            422: components["responses"]["Invalid"];
            503: components["responses"]["Unavailable"];
        };
    };
    suggestions: {
        parameters: {
            query?: {
                /**
                 * @description 1..=64 characters after normalisation.
                 * @example 西游
                 */
                q?: string;
                /** @description Default 10. */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Suggestion"][];
                };
            };
            400: components["responses"]["BadRequest"];
            422: components["responses"]["Invalid"];
        };
    };
    healthz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The process is up */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
        };
    };
    readyz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Ready to serve */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Readiness"];
                };
            };
            503: components["responses"]["Unavailable"];
        };
    };
}
