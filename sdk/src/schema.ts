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
         *     pinyin (full or initials); ties by heat. Traditional characters and full-width letters are
         *     normalised first. Page 1 counts the query toward the hot keywords (once per reader per day).
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
        /** The most searched keywords (page-1 searches, once per reader per day). */
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
         * The single-screen result of the original app: the exact hit, a few close matches, and hot
         *     recommendations from the best hit's category (or overall when nothing matched).
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
        /** 200 when the database answers, 503 otherwise. */
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
        /** @description One item of a batch: the PUT body plus `novel_id`. */
        BatchItem: components["schemas"]["ProgressRequest"] & {
            /** Format: int64 */
            novel_id: number;
        };
        /** @description A batch item that was not applied; the others were. */
        BatchItemError: {
            error: components["schemas"]["ErrorBody"];
            /** @description Position of the item in the request. */
            index: number;
            /** Format: int64 */
            novel_id?: number | null;
        };
        BatchRequest: {
            /** @description 1..=100 items, each validated on its own. */
            items: components["schemas"]["BatchItem"][];
        };
        /** @description Per item, in request order: the stored `Progress`, or why the item was rejected. */
        BatchResult: components["schemas"]["Progress"] | components["schemas"]["BatchItemError"];
        Category: {
            channel: string;
            icon_url: string;
            /** Format: int64 */
            id: number;
            name: string;
            /** Format: int64 */
            novel_count: number;
            subcategories: components["schemas"]["SubCategory"][];
        };
        CategoryRefBody: {
            /** Format: int64 */
            id: number;
            name: string;
        };
        Chapter: {
            /** Format: int64 */
            id: number;
            /**
             * Format: int32
             * @description 1-based reading order.
             */
            index: number;
            /** Format: int64 */
            novel_id: number;
            title: string;
            updated_at: string;
            /** Format: int32 */
            word_count: number;
        };
        /** @description A chapter with its text; with a token also the reader's `progress`. */
        ChapterContent: components["schemas"]["Chapter"] & {
            content: string;
            /** Format: int64 */
            next_chapter_id?: number | null;
            /** Format: int64 */
            prev_chapter_id?: number | null;
            progress?: null | components["schemas"]["Progress"];
        };
        /** @description The body of every error response. */
        ErrorBody: {
            /**
             * @description Stable machine-readable code, e.g. `validation_failed`.
             * @example validation_failed
             */
            code: string;
            /** @description Per-field messages for `validation_failed`. */
            details?: Record<string, never> | null;
            /** @description Human readable, safe to show to the reader. */
            message: string;
        };
        Health: {
            /** @example ok */
            status: string;
        };
        HistoryItem: {
            novel: components["schemas"]["NovelSummary"];
            progress?: null | components["schemas"]["Progress"];
            viewed_at: string;
        };
        HotKeyword: {
            /** Format: int64 */
            count: number;
            keyword: string;
        };
        LastRead: {
            novel: components["schemas"]["NovelSummary"];
            progress: components["schemas"]["Progress"];
        };
        LoginRequest: {
            /** @description The code from `wx.login()`. */
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
            /** Format: int64 */
            first_chapter_id?: number | null;
            latest_chapter?: null | components["schemas"]["Chapter"];
            on_shelf?: boolean | null;
            progress?: null | components["schemas"]["Progress"];
        };
        /** @description A novel in lists. */
        NovelSummary: {
            author: string;
            category: components["schemas"]["CategoryRefBody"];
            /** @description `male` or `female`. */
            channel: string;
            /** Format: int32 */
            chapter_count: number;
            /** Format: int64 */
            collect_count: number;
            cover_url: string;
            /** Format: int64 */
            heat: number;
            /** Format: int64 */
            id: number;
            /** @description Short intro (the detail has the full text). */
            intro: string;
            /** @description `serial` or `finished`. */
            status: string;
            title: string;
            updated_at: string;
            /** Format: int64 */
            word_count: number;
        };
        /** @description A page of results. */
        Page_Chapter: {
            items: {
                /** Format: int64 */
                id: number;
                /**
                 * Format: int32
                 * @description 1-based reading order.
                 */
                index: number;
                /** Format: int64 */
                novel_id: number;
                title: string;
                updated_at: string;
                /** Format: int32 */
                word_count: number;
            }[];
            /** Format: int64 */
            page: number;
            /** Format: int64 */
            per_page: number;
            /** Format: int64 */
            total: number;
            /** Format: int64 */
            total_pages: number;
        };
        /** @description A page of results. */
        Page_HistoryItem: {
            items: {
                novel: components["schemas"]["NovelSummary"];
                progress?: null | components["schemas"]["Progress"];
                viewed_at: string;
            }[];
            /** Format: int64 */
            page: number;
            /** Format: int64 */
            per_page: number;
            /** Format: int64 */
            total: number;
            /** Format: int64 */
            total_pages: number;
        };
        /** @description A page of results. */
        Page_NovelSummary: {
            items: {
                author: string;
                category: components["schemas"]["CategoryRefBody"];
                /** @description `male` or `female`. */
                channel: string;
                /** Format: int32 */
                chapter_count: number;
                /** Format: int64 */
                collect_count: number;
                cover_url: string;
                /** Format: int64 */
                heat: number;
                /** Format: int64 */
                id: number;
                /** @description Short intro (the detail has the full text). */
                intro: string;
                /** @description `serial` or `finished`. */
                status: string;
                title: string;
                updated_at: string;
                /** Format: int64 */
                word_count: number;
            }[];
            /** Format: int64 */
            page: number;
            /** Format: int64 */
            per_page: number;
            /** Format: int64 */
            total: number;
            /** Format: int64 */
            total_pages: number;
        };
        /** @description A page of results. */
        Page_SearchItem: {
            items: (components["schemas"]["NovelSummary"] & {
                /** @description `exact`, `title`, `author` or `pinyin`. */
                match: string;
            })[];
            /** Format: int64 */
            page: number;
            /** Format: int64 */
            per_page: number;
            /** Format: int64 */
            total: number;
            /** Format: int64 */
            total_pages: number;
        };
        /** @description A page of results. */
        Page_ShelfItem: {
            items: {
                added_at: string;
                /** @description A chapter appeared since the reader last opened the novel. */
                has_update: boolean;
                last_read?: null | components["schemas"]["Progress"];
                novel: components["schemas"]["NovelSummary"];
                /**
                 * Format: int32
                 * @description Chapters after the last-read one.
                 */
                unread_chapters: number;
            }[];
            /** Format: int64 */
            page: number;
            /** Format: int64 */
            per_page: number;
            /** Format: int64 */
            total: number;
            /** Format: int64 */
            total_pages: number;
        };
        PatchMe: {
            avatar_url?: string | null;
            nickname?: string | null;
        };
        PhoneRequest: {
            /** @description The code from the getPhoneNumber button. */
            code: string;
        };
        PhoneResponse: {
            country_code: string;
            phone_number: string;
        };
        PreferencesBody: {
            category_ids: number[];
            /** @description `male`, `female` or null. */
            channel?: string | null;
        };
        PreferencesRequest: {
            /** @description Favourite categories (at most 50); unknown ids are a 422. */
            category_ids?: number[];
            /** @description `male`, `female` or null. */
            channel?: string | null;
        };
        /** @description Where the reader is in a novel. */
        Progress: {
            /** Format: int64 */
            chapter_id: number;
            /** Format: int32 */
            chapter_index: number;
            chapter_title: string;
            /** Format: int64 */
            novel_id: number;
            /**
             * Format: int32
             * @description Characters into the chapter.
             */
            offset: number;
            /**
             * Format: double
             * @description 0..=100, of the whole novel.
             */
            percent: number;
            updated_at: string;
        };
        /** @description A progress write from a device. */
        ProgressRequest: {
            /** Format: int64 */
            chapter_id: number;
            /**
             * @description When the device recorded it (RFC 3339); the newer write wins.
             * @example 2026-11-22T03:00:00Z
             */
            client_time: string;
            /**
             * Format: int32
             * @description Characters into the chapter.
             */
            offset: number;
            /**
             * Format: double
             * @description 0..=100, of the whole novel.
             */
            percent: number;
        };
        ReaderSettingsBody: {
            /** @description `white`, `parchment`, `green`, `blue`, `pink` or `night`. */
            background: string;
            /** Format: int32 */
            brightness: number;
            /** Format: int32 */
            font_size: number;
            /** Format: double */
            line_spacing: number;
            /** @description `simulation`, `slide`, `scroll` or `none`. */
            page_turn: string;
        };
        ReaderSettingsPatch: {
            /** @description `white`, `parchment`, `green`, `blue`, `pink` or `night`. */
            background?: string | null;
            /** Format: int32 */
            brightness?: number | null;
            /** Format: int32 */
            font_size?: number | null;
            /** Format: double */
            line_spacing?: number | null;
            /** @description `simulation`, `slide`, `scroll` or `none`. */
            page_turn?: string | null;
        };
        Readiness: {
            /** @description `sqlite` or `mysql`. */
            database: string;
            /** @example ready */
            status: string;
        };
        RefreshRequest: {
            refresh_token: string;
        };
        RemoveRequest: {
            /** @description 1..=100 novel ids. */
            novel_ids: number[];
        };
        Removed: {
            /** Format: int64 */
            removed: number;
        };
        /** @description A search result: the novel and why it matched. */
        SearchItem: components["schemas"]["NovelSummary"] & {
            /** @description `exact`, `title`, `author` or `pinyin`. */
            match: string;
        };
        SearchOverview: {
            exact?: null | components["schemas"]["NovelSummary"];
            /** @description Up to 5 other matches. */
            matches: components["schemas"]["NovelSummary"][];
            /** @description Up to 4 hot novels from the best hit's category (or overall). */
            recommendations: components["schemas"]["NovelSummary"][];
        };
        ShelfEntry: {
            /** Format: int64 */
            novel_id: number;
            on_shelf: boolean;
        };
        ShelfItem: {
            added_at: string;
            /** @description A chapter appeared since the reader last opened the novel. */
            has_update: boolean;
            last_read?: null | components["schemas"]["Progress"];
            novel: components["schemas"]["NovelSummary"];
            /**
             * Format: int32
             * @description Chapters after the last-read one.
             */
            unread_chapters: number;
        };
        SubCategory: {
            /** Format: int64 */
            id: number;
            name: string;
            /** Format: int64 */
            novel_count: number;
        };
        Suggestion: {
            is_hot: boolean;
            keyword: string;
        };
        /** @description A token pair. */
        TokensBody: {
            /** @description JWT for `Authorization: Bearer`. */
            access_token: string;
            /**
             * Format: int64
             * @description Seconds until the access token expires.
             */
            expires_in: number;
            /**
             * Format: int64
             * @description Seconds until this login must be renewed with WeChat.
             */
            refresh_expires_in: number;
            /** @description Opaque; single use: every refresh returns a new one. */
            refresh_token: string;
            /** @example Bearer */
            token_type: string;
        };
        /** @description A reader. Never contains `openid`, `unionid` or `session_key`. */
        User: {
            avatar_url: string;
            /** @description `male`, `female` or null. */
            channel?: string | null;
            /** @example 2026-11-22T03:00:00.000Z */
            created_at: string;
            has_phone: boolean;
            /** Format: int64 */
            id: number;
            nickname: string;
        };
        WechatProfileRequest: {
            encrypted_data: string;
            iv: string;
            raw_data?: string | null;
            signature?: string | null;
        };
    };
    responses: never;
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
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `wechat_code_invalid`: invalid, used or expired code */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `wechat_user_blocked` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid fields */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Too many attempts from this address */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description WeChat failed */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    logout: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** @description Optional */
        requestBody: {
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
            /** @description Not authenticated */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
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
            /** @description `refresh_token_invalid` or `refresh_token_reused` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid fields */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Too many attempts from this address */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    web_authorize: {
        parameters: {
            query: {
                /** @description Where WeChat sends the browser back; must be on `WECHAT_WEB_REDIRECT_URIS`. */
                redirect_uri: string;
                /** @description `snsapi_base` (default) or `snsapi_userinfo`. */
                scope?: string;
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
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description `redirect_uri` not allowed or unknown `scope` */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
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
            /** @description `state_invalid` or `wechat_code_invalid` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Missing fields */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description WeChat failed */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
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
                    "application/json": components["schemas"]["Page_ShelfItem"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
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
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
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
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
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
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Unknown novel */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
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
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Not on the shelf */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    categories: {
        parameters: {
            query?: {
                /** @description `male` or `female`; without it, the logged-in reader's channel, else both. */
                channel?: string;
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
            /** @description Unknown channel */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
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
                    "application/json": components["schemas"]["Page_HistoryItem"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
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
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
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
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Not in the history */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
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
            /** @description Not authenticated */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
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
            /** @description Not authenticated */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
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
            /** @description Not authenticated */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid fields */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
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
            /** @description Not authenticated, or `wechat_code_invalid` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid fields */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description WeChat failed */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
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
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
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
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
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
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
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
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
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
            /** @description Not authenticated */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Does not decrypt, wrong app, bad signature */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    novels: {
        parameters: {
            query?: {
                /** @description A top-level category or a subcategory. */
                category_id?: number;
                /** @description `male` or `female`. */
                channel?: string;
                /** @description `serial` or `finished`. */
                status?: string;
                /** @description `lt_500k`, `500k_1m` or `gt_1m`. */
                words?: string;
                /** @description `hot` (default), `collect`, `latest` or `words`. */
                sort?: string;
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
                    "application/json": components["schemas"]["Page_NovelSummary"];
                };
            };
            /** @description Unknown enum value or page out of range */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
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
            /** @description A token was sent but is invalid */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    chapters: {
        parameters: {
            query?: {
                page?: number;
                per_page?: number;
                /** @description `asc` (default) or `desc`. */
                order?: string;
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
                    "application/json": components["schemas"]["Page_Chapter"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    chapter: {
        parameters: {
            query?: never;
            header?: never;
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
                    "Cache-Control"?: string;
                    ETag?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ChapterContent"];
                };
            };
            /** @description Not modified */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description A token was sent but is invalid */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such chapter in this novel */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    recommendations: {
        parameters: {
            query?: {
                /** @description 1..=50, default 4 */
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
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
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
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Not 1..=100 items */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
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
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No progress for this novel */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
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
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Unknown novel */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid fields, or a chapter of another novel */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    rankings: {
        parameters: {
            query?: {
                /** @description How many (1..=50). */
                limit?: number;
                /** @description `male` or `female` (rankings only). */
                channel?: string;
            };
            header?: never;
            path: {
                /** @description hot | collect | latest | finished */
                kind: string;
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
            /** @description Unknown kind or channel */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    search: {
        parameters: {
            query?: {
                /**
                 * @description Title, author, or pinyin (`doupo`, `dpcq`); 1..=64 characters. `%`, `_` and `\` are
                 *     literal.
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
                    "application/json": components["schemas"]["Page_SearchItem"];
                };
            };
            /** @description Empty or too long `q`, page out of range */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    hot: {
        parameters: {
            query?: {
                /** @description 1..=50, default 10. */
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
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    overview: {
        parameters: {
            query?: {
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
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    suggestions: {
        parameters: {
            query?: {
                q?: string;
                /** @description 1..=20, default 10. */
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
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
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
            /** @description The database does not answer */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
}
